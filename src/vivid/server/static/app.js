// vivid web UI: plain JavaScript over the REST API (/v1). No build step, no external resources.
const $ = (id) => document.getElementById(id);
const TASK_NAMES = { sr: "super-resolution", denoise: "denoise", lowlight: "low-light", color: "colour and tone",
  colorize: "colorize" };

const state = {
  key: localStorage.getItem("vivid-api-key") || "",
  info: null,
  models: [],          // GET /v1/models
  upload: null,        // the analysed upload (single-image mode)
  analysis: null,      // POST /v1/analyze answer
  localUrl: null,      // object URL of the dropped file (the "before" image)
  files: [],           // files for a job (batch/video mode)
  mode: null,          // "single" | "batch" | "video"
  results: [],         // [{label, url, name, explain, seconds}]
  current: 0,
  job: null,
};

class ApiError extends Error {
  constructor(code, message, status) { super(message); this.code = code; this.status = status; }
}

// --- talking to the API ---------------------------------------------------------------------------
async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (state.key) headers.set("X-API-Key", state.key);
  let res;
  try {
    res = await fetch(path, { ...options, headers });
  } catch (e) {
    throw new ApiError("network", "The server cannot be reached. Is it still running?", 0);
  }
  if (!res.ok) {
    let code = `http_${res.status}`, message = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      if (body && body.error) ({ code, message } = body.error);
    } catch (_) { /* not JSON */ }
    if (res.status === 401) $("key-panel").hidden = false;
    throw new ApiError(code, message, res.status);
  }
  return res;
}

const apiJson = async (path, options) => (await api(path, options)).json();

async function blobUrl(path) {
  const res = await api(path);
  return URL.createObjectURL(await res.blob());
}

function filenameFrom(res, fallback) {
  const cd = res.headers.get("Content-Disposition") || "";
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  return m ? decodeURIComponent(m[1]) : fallback;
}

async function download(path, fallbackName) {
  const res = await api(path);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filenameFrom(res, fallbackName);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// --- messages -------------------------------------------------------------------------------------
function showError(err) {
  const box = $("error");
  box.textContent = err instanceof ApiError || err instanceof Error ? err.message : String(err);
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}
function clearError() { $("error").hidden = true; $("error").textContent = ""; }

function busy(button, on, text) {
  button.disabled = on;
  $("run-status").textContent = text || "";
}

// --- choosing files -------------------------------------------------------------------------------
function setupDrop() {
  const drop = $("drop"), input = $("file");
  drop.addEventListener("click", () => input.click());
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); }
  });
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    drop.addEventListener(type, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    handleFiles([...e.dataTransfer.files]);
  });
  input.addEventListener("change", () => { handleFiles([...input.files]); input.value = ""; });
}

function handleFiles(files) {
  clearError();
  if (!files.length) return;
  const videos = files.filter((f) => f.type.startsWith("video/"));
  if (videos.length && files.length > 1) {
    showError("Send one video at a time (and no images with it).");
    return;
  }
  $("result-panel").hidden = true;
  $("plan-panel").hidden = true;
  $("job-panel").hidden = true;
  if (videos.length) return prepareJob(files, "video");
  if (files.length > 1) return prepareJob(files, "batch");
  return analyzeFile(files[0]);
}

// --- one image: analyse, show the plan ---------------------------------------------------------------
async function analyzeFile(file) {
  state.mode = "single";
  if (state.localUrl) URL.revokeObjectURL(state.localUrl);
  state.localUrl = URL.createObjectURL(file);
  const form = new FormData();
  form.append("image", file, file.name);
  $("drop").setAttribute("aria-busy", "true");
  try {
    showPlan(await apiJson("/v1/analyze", { method: "POST", body: form }));
  } catch (e) {
    showError(e);
  } finally {
    $("drop").removeAttribute("aria-busy");
  }
}

async function reanalyze() {
  const form = new FormData();
  form.append("upload_id", state.upload.id);
  const scale = $("scale").value;
  if (scale) form.append("scale", scale);
  try {
    showPlan(await apiJson("/v1/analyze", { method: "POST", body: form }));
  } catch (e) { showError(e); }
}

function modelsFor(task) { return state.models.filter((m) => m.task === task); }
function recommendedFor(task) { return (modelsFor(task).find((m) => m.recommended) || modelsFor(task)[0] || {}).name; }

function option(value, text, selected = false) {
  const o = document.createElement("option");
  o.value = value; o.textContent = text; o.selected = selected;
  return o;
}

function showPlan(a) {
  state.analysis = a;
  state.upload = a.upload;
  const img = $("original-thumb");
  img.src = state.localUrl;
  img.alt = `Your image ${a.upload.name}`;
  img.onerror = async () => { img.onerror = null; img.src = await blobUrl(a.upload.thumbnail_url); };
  $("original-caption").textContent = `${a.upload.name} · ${a.upload.width}×${a.upload.height}`;
  const m = a.analysis;
  $("analysis").textContent = m && m.width ? `Mean brightness ${Math.round(m.mean_luma * 255)}/255, ` +
    `${Math.round(m.dark_share * 100)}% darker than 128, noise σ≈${m.noise_sigma.toFixed(1)}, ` +
    `${m.grayscale ? "grayscale" : "colour"}.` : "";
  $("task").value = "auto";
  renderSteps();
  $("plan-panel").hidden = false;
}

function renderSteps() {
  const a = state.analysis, list = $("steps");
  const auto = $("task").value === "auto";
  list.replaceChildren();
  list.hidden = !auto;
  $("model-field").hidden = auto;
  $("notes").textContent = auto ? (a.notes || []).join(" ") : "";
  if (auto) {
    a.steps.forEach((s, i) => {
      const li = document.createElement("li");
      const use = document.createElement("label");
      use.className = "use";
      const box = document.createElement("input");
      box.type = "checkbox"; box.checked = true; box.id = `use-${i}`; box.dataset.step = i;
      use.append(box, ` Step ${i + 1}: ${TASK_NAMES[s.task] || s.task}` + (s.scale > 1 ? ` ×${s.scale}` : ""));
      const reason = document.createElement("p");
      reason.className = "reason"; reason.textContent = s.reason;
      const lab = document.createElement("label");
      lab.htmlFor = `model-${i}`; lab.textContent = `Model for step ${i + 1}`;
      const sel = document.createElement("select");
      sel.id = `model-${i}`; sel.dataset.step = i;
      sel.addEventListener("change", renderCompareOptions);
      sel.append(option(s.model, `${s.model} (recommended)`, true));
      for (const alt of s.alternatives) sel.append(option(alt, `${alt} (another model)`));
      const field = document.createElement("div");
      field.className = "field";
      field.append(lab, sel);
      li.append(use, reason, field);
      list.append(li);
    });
    if (!a.steps.length) $("notes").textContent = (a.notes || []).join(" ") || "Nothing to do.";
  } else {
    const task = $("task").value, sel = $("model");
    sel.replaceChildren();
    const rec = recommendedFor(task);
    for (const mdl of modelsFor(task)) {
      sel.append(option(mdl.name, mdl.name === rec ? `${mdl.name} (recommended)` : `${mdl.name} (another model)`,
        mdl.name === rec));
    }
  }
  renderCompareOptions();
}

function chosenPlan(override) {
  // the analysed plan with the chosen model per step (override = {step, model} for a variant)
  const steps = [];
  state.analysis.steps.forEach((s, i) => {
    if (!$(`use-${i}`).checked) return;
    let model = $(`model-${i}`).value;
    if (override && override.step === i) model = override.model;
    steps.push({ task: s.task, model, scale: s.scale, reason: s.reason });
  });
  return { steps };
}

function variants() {
  // the main request plus one per ticked "also try" model
  const auto = $("task").value === "auto";
  const list = [{ label: auto ? "chosen plan" : $("model").value, override: null, model: auto ? null : $("model").value }];
  for (const box of $("compare-options").querySelectorAll("input:checked")) {
    if (auto) list.push({ label: `step ${+box.dataset.step + 1}: ${box.value}`, override: { step: +box.dataset.step, model: box.value } });
    else list.push({ label: box.value, model: box.value });
  }
  return list;
}

function renderCompareOptions() {
  const wrap = $("compare-options");
  wrap.replaceChildren();
  const auto = $("task").value === "auto";
  const add = (value, text, step) => {
    const id = `cmp-${wrap.children.length}`;
    const lab = document.createElement("label");
    lab.htmlFor = id;
    const box = document.createElement("input");
    box.type = "checkbox"; box.id = id; box.value = value;
    if (step !== undefined) box.dataset.step = step;
    lab.append(box, ` ${text}`);
    wrap.append(lab);
  };
  if (auto) {
    state.analysis.steps.forEach((s, i) => {
      const chosen = $(`model-${i}`).value;
      for (const m of modelsFor(s.task)) if (m.name !== chosen) add(m.name, `step ${i + 1} (${TASK_NAMES[s.task] || s.task}) with ${m.name}`, i);
    });
  } else {
    const chosen = $("model").value;
    for (const mdl of modelsFor($("task").value)) if (mdl.name !== chosen) add(mdl.name, mdl.name);
  }
  $("compare-set").hidden = wrap.children.length === 0;
}

// --- running enhancements ---------------------------------------------------------------------------
function enhanceForm(variant) {
  const form = new FormData();
  form.append("upload_id", state.upload.id);
  const task = $("task").value;
  form.append("task", task);
  if (task === "auto") {
    const plan = chosenPlan(variant.override);
    if (!plan.steps.length) throw new ApiError("nothing", "Tick at least one step to run.", 0);
    form.append("plan", JSON.stringify(plan));
  } else if (variant.model) {
    form.append("model", variant.model);
  }
  if ($("scale").value) form.append("scale", $("scale").value);
  form.append("strength", String($("strength").value / 100));
  form.append("format", $("format").value);
  return form;
}

async function runEnhance(event) {
  event.preventDefault();
  clearError();
  const button = $("run");
  const list = variants();
  const results = [];
  try {
    for (const [i, v] of list.entries()) {
      busy(button, true, list.length > 1 ? `Enhancing ${i + 1} of ${list.length}…` : "Enhancing…");
      const form = enhanceForm(v);
      let res;
      try {
        res = await api("/v1/enhance", { method: "POST", body: form });
      } catch (e) {
        if (e.code === "too_large_for_sync") { busy(button, false); return runAsJob(form); }
        throw e;
      }
      const prov = JSON.parse(res.headers.get("X-Vivid-Provenance") || "{}");
      const blob = await res.blob();
      const steps = prov.steps || [];
      results.push({
        label: v.label,
        url: URL.createObjectURL(blob),
        name: filenameFrom(res, "vivid.png"),
        explain: steps.map((s, k) => `${s.task} with ${s.model}` + (s.scale > 1 ? ` ×${s.scale}` : "") +
          ` (${s.seconds}s)` + (prov.plan && prov.plan[k] ? `: ${prov.plan[k]}` : "")),
        seconds: steps.reduce((t, s) => t + (s.seconds || 0), 0),
        models: steps.map((s) => s.model).join(" → ") || "no change",
      });
    }
    showResults(results);
  } catch (e) {
    showError(e);
  } finally {
    busy(button, false, "");
    loadHistory();
  }
}

function showResults(results) {
  for (const r of state.results) URL.revokeObjectURL(r.url);
  state.results = results;
  const pick = $("pick");
  pick.replaceChildren(...results.map((r, i) => option(i, r.label === r.models ? r.models : `${r.label}: ${r.models}`, i === 0)));
  $("before").src = state.localUrl;
  $("before").onerror = async () => { $("before").onerror = null; $("before").src = await blobUrl(state.upload.thumbnail_url); };
  const side = $("side");
  side.replaceChildren();
  $("side-title").hidden = results.length < 2;
  if (results.length > 1) {
    results.forEach((r, i) => {
      const fig = document.createElement("figure");
      fig.dataset.index = i;
      const img = document.createElement("img");
      img.src = r.url; img.alt = `Result with ${r.models}`;
      const cap = document.createElement("figcaption");
      cap.textContent = `${r.models} · ${r.seconds.toFixed(2)} s`;
      const row = document.createElement("div");
      row.className = "row";
      const show = document.createElement("button");
      show.type = "button"; show.textContent = "Compare with original";
      show.addEventListener("click", () => { pick.value = i; selectResult(i); $("viewport").scrollIntoView({ block: "nearest" }); });
      const dl = document.createElement("a");
      dl.className = "button"; dl.href = r.url; dl.download = r.name; dl.textContent = "Download";
      row.append(show, dl);
      fig.append(img, cap, row);
      side.append(fig);
    });
  }
  selectResult(0);
  $("result-panel").hidden = false;
  $("result-title").scrollIntoView({ block: "start" });
}

function selectResult(i) {
  state.current = +i;
  const r = state.results[state.current];
  $("after").src = r.url;
  $("after").alt = `Enhanced image (${r.models})`;
  const dl = $("download");
  dl.href = r.url; dl.download = r.name;
  dl.textContent = `Download ${r.name}`;
  $("explain").replaceChildren(...r.explain.map((t) => { const li = document.createElement("li"); li.textContent = t; return li; }));
  for (const fig of $("side").children) fig.classList.toggle("current", +fig.dataset.index === state.current);
  applyZoom();
}

// --- before/after slider and zoom -------------------------------------------------------------------
function setSplit(v) {
  const s = Math.max(0, Math.min(100, Number(v)));
  $("after-clip").style.clipPath = `inset(0 0 0 ${s}%)`;
  $("divider").style.left = `${s}%`;
  $("split").value = s;
  $("split").setAttribute("aria-valuetext", `left ${s}% before, right ${100 - s}% after`);
}

function applyZoom() {
  const z = $("zoom").value, stage = $("stage"), after = $("after");
  const apply = () => {
    if (z === "fit") { stage.style.width = "100%"; stage.classList.remove("pixelated"); return; }
    stage.style.width = `${Math.round(after.naturalWidth * Number(z))}px`;
    stage.classList.toggle("pixelated", Number(z) >= 2);
  };
  if (after.complete && after.naturalWidth) apply(); else after.addEventListener("load", apply, { once: true });
}

function setupCompare() {
  $("split").addEventListener("input", (e) => setSplit(e.target.value));
  $("zoom").addEventListener("change", applyZoom);
  $("pick").addEventListener("change", (e) => selectResult(e.target.value));
  const stage = $("stage");
  let dragging = false;
  const move = (e) => {
    const r = stage.getBoundingClientRect();
    setSplit(Math.round(((e.clientX - r.left) / r.width) * 100));
  };
  stage.addEventListener("pointerdown", (e) => { dragging = true; stage.setPointerCapture(e.pointerId); move(e); });
  stage.addEventListener("pointermove", (e) => { if (dragging) move(e); });
  stage.addEventListener("pointerup", () => { dragging = false; });
  setSplit(50);
}

// --- jobs (several images, a video, or an image too big for one request) ------------------------------
function prepareJob(files, mode) {
  state.mode = mode;
  state.files = files;
  $("job-panel").hidden = false;
  $("job-options").hidden = false;
  $("job-title").textContent = mode === "video" ? "Video job" : `Batch of ${files.length} images`;
  $("job-files").textContent = files.map((f) => f.name).join(", ");
  fillJobModels();
  resetJobView("Choose options and start the job.");
  if (mode === "video" && state.info && !state.info.video) showError("This server cannot process video yet.");
}

function fillJobModels() {
  const task = $("job-task").value, sel = $("job-model");
  sel.replaceChildren(option("", "recommended", true));
  sel.disabled = task === "auto";
  if (task !== "auto") for (const m of modelsFor(task)) sel.append(option(m.name, m.name));
}

function resetJobView(text) {
  $("job-progress").value = 0;
  $("job-status").textContent = text;
  $("job-results").replaceChildren();
  $("job-cancel").hidden = true;
  $("job-download").hidden = true;
}

async function startJob() {
  clearError();
  const form = new FormData();
  for (const f of state.files) form.append("files", f, f.name);
  form.append("task", $("job-task").value);
  if ($("job-model").value) form.append("model", $("job-model").value);
  if (state.mode === "video" && $("job-task").value === "sr") form.append("scale", "2");
  $("job-start").disabled = true;
  try {
    resetJobView("Uploading…");
    const job = await apiJson("/v1/jobs", { method: "POST", body: form });
    followJob(job);
  } catch (e) {
    showError(e);
    resetJobView("");
  } finally {
    $("job-start").disabled = false;
  }
}

async function runAsJob(form) {
  // the image is too big to enhance within one request: the same options as a background job
  const id = form.get("upload_id");
  form.delete("upload_id");
  form.append("upload_ids", id);
  $("job-panel").hidden = false;
  $("job-options").hidden = true;
  $("job-title").textContent = "Large image job";
  $("job-files").textContent = state.upload ? state.upload.name : "";
  resetJobView("The image is large, so it runs as a background job…");
  try {
    followJob(await apiJson("/v1/jobs", { method: "POST", body: form }));
  } catch (e) { showError(e); }
}

function showJob(job) {
  state.job = job;
  $("job-progress").value = job.progress;
  const pct = Math.round(job.progress * 100);
  const eta = job.eta_seconds != null ? ` · about ${Math.ceil(job.eta_seconds)} s left` : "";
  let text = `${job.status} · ${pct}%${eta}` + (job.message && job.message !== job.status ? ` · ${job.message}` : "");
  if (job.error) text = `${job.status}: ${job.error.message}`;
  $("job-status").textContent = text;
  const running = job.status === "queued" || job.status === "running";
  $("job-cancel").hidden = !running;
  $("job-download").hidden = !job.result_url;
  const list = $("job-results");
  list.replaceChildren();
  for (const r of job.results) {
    const li = document.createElement("li");
    if (r.url) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = `Download ${r.upload.name}`;
      b.addEventListener("click", () => download(r.url, r.upload.name).catch(showError));
      li.append(b);
    } else {
      li.textContent = `${r.upload.name}: ${r.error || r.status}`;
    }
    list.append(li);
  }
}

async function followJob(job) {
  showJob(job);
  try {
    const res = await api(job.events_url);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const chunk = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = (/^event: (.*)$/m.exec(chunk) || [])[1];
        const data = (/^data: (.*)$/m.exec(chunk) || [])[1];
        if (event === "progress" && data) showJob(JSON.parse(data));
      }
    }
  } catch (e) {
    // the stream broke (network, proxy): fall back to polling
    let current = state.job;
    while (current && (current.status === "queued" || current.status === "running")) {
      await new Promise((r) => setTimeout(r, 1000));
      try { current = await apiJson(job.url); showJob(current); } catch (err) { showError(err); break; }
    }
  }
  loadHistory();
}

async function cancelJob() {
  if (!state.job) return;
  try { showJob(await apiJson(state.job.url, { method: "DELETE" })); } catch (e) { showError(e); }
}

// --- history --------------------------------------------------------------------------------------------
async function loadHistory() {
  let data;
  try { data = await apiJson("/v1/jobs?limit=24"); } catch (e) { if (e.status !== 401) showError(e); return; }
  const list = $("history-list");
  list.replaceChildren();
  $("history-empty").hidden = data.jobs.length > 0;
  for (const job of data.jobs) {
    const li = document.createElement("li");
    const img = document.createElement("img");
    const first = job.results[0];
    img.alt = first ? `Thumbnail of ${first.upload.name}` : "No preview";
    img.loading = "lazy";
    if (job.thumbnail_url) blobUrl(job.thumbnail_url).then((u) => { img.src = u; }).catch(() => {});
    const meta = document.createElement("div");
    meta.className = "meta";
    const when = new Date(job.created_at).toLocaleString();
    const what = job.options.task === "auto" ? "auto plan" : `${job.options.task}${job.options.model ? ` · ${job.options.model}` : ""}`;
    const names = job.results.length > 1 ? `${job.results.length} images` : (first ? first.upload.name : "");
    const status = document.createElement("span");
    status.className = `status-${job.status}`;
    status.textContent = job.status;
    meta.append(status, ` · ${what}`, document.createElement("br"), names, document.createElement("br"), when);
    li.append(img, meta);
    if (job.result_url) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Download";
      b.setAttribute("aria-label", `Download result of ${names}`);
      b.addEventListener("click", () => download(job.result_url, "vivid-result").catch(showError));
      li.append(b);
    }
    if (job.status === "queued" || job.status === "running") {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Follow";
      b.addEventListener("click", () => {
        $("job-panel").hidden = false; $("job-options").hidden = true;
        $("job-title").textContent = "Job"; followJob(job);
      });
      li.append(b);
    }
    list.append(li);
  }
}

// --- start ---------------------------------------------------------------------------------------------
async function init() {
  setupDrop();
  setupCompare();
  $("options").addEventListener("submit", runEnhance);
  $("task").addEventListener("change", renderSteps);
  $("model").addEventListener("change", renderCompareOptions);
  $("scale").addEventListener("change", () => { if ($("task").value === "auto" && state.upload) reanalyze(); });
  $("strength").addEventListener("input", (e) => {
    $("strength-out").textContent = `${e.target.value}%`;
    e.target.setAttribute("aria-valuetext", `${e.target.value}%`);
  });
  $("job-task").addEventListener("change", fillJobModels);
  $("job-start").addEventListener("click", startJob);
  $("job-cancel").addEventListener("click", cancelJob);
  $("job-download").addEventListener("click", () => state.job && download(state.job.result_url, "vivid-result").catch(showError));
  $("history-refresh").addEventListener("click", loadHistory);
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.key = $("api-key").value.trim();
    localStorage.setItem("vivid-api-key", state.key);
    $("key-panel").hidden = true;
    clearError();
    loadMeta();
  });
  await loadMeta();
}

async function loadMeta() {
  try {
    state.info = await apiJson("/v1/info");
    state.models = (await apiJson("/v1/models")).models;
    const i = state.info;
    $("limits").textContent = `Up to ${i.max_upload_mb} MB per upload and ${(i.max_pixels / 1e6).toFixed(0)} MP per image; ` +
      `images up to ${(i.sync_max_pixels / 1e6).toFixed(1)} MP are enhanced at once, bigger ones as jobs.` +
      (i.video ? " Video: yes." : "");
    loadHistory();
  } catch (e) {
    if (e.status !== 401) showError(e);
  }
}

init();
