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
// The API's messages are written for API clients (endpoints, settings, exception names); people using
// this page read them without those parts.
function plain(message) {
  return String(message)
    .replace(/,? or submit a job \([^()]*\/v1\/[^()]*\)/g, "")          // ", or submit a job (POST /v1/jobs)"
    .replace(/\s*\([^()]*\/v1\/[^()]*\)/g, "")                          // "(or MP4 video to POST /v1/jobs)"
    .replace(/[,:;]?\s*(?:or |and )?(?:submit it as a job|send videos to|pick one from|submit a job)?,?\s*(?:[A-Z]+ )?\/v1\/\S*(?: with \S+)?/g, "")
    .replace(/\s*\(setting VIVID_\w+\)/g, "")                             // "(setting VIVID_MAX_PIXELS)"
    .replace(/\s*\(\s*(?:\w+\.)*\w*(?:Error|Exception|Warning)\s*\)/g, "") // "(UnidentifiedImageError)"
    .replace(/\s+([,.;:])/g, "$1")
    .replace(/[,;:]\s*$/, "")
    .trim();
}

const UNREADABLE = "not an image or video vivid can read: use PNG, JPEG, WebP, TIFF, BMP, HEIC or AVIF images, " +
  "or MP4, MOV, WebM, MKV or AVI video";
const unreadable = (message) => /not an image or video vivid reads/.test(message || "");

function userMessage(err, name) {
  if (err && err.code === "unsupported_media_type" && unreadable(err.message)) {
    return `${name ? `“${name}”` : "This file"} is ${UNREADABLE}.`;
  }
  const text = plain(err instanceof Error ? err.message : String(err));
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "Something went wrong; try again.";
}

function showError(err, name) {
  const box = $("error");
  box.textContent = userMessage(err, name);
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
    showError(e, file.name);
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

function modelsFor(task, scale) {
  // a task's models; with ``scale``, only those that can enlarge by it (an added model has one fixed scale)
  return state.models.filter((m) => m.task === task && (!scale || m.any_scale || !m.scales.length || m.scales.includes(scale)));
}
// models added on the server with "vivid models add" come with ``yours`` (GET /v1/models)
const modelText = (m, rec) => `${m.name} (${m.name === rec ? "recommended" : m.yours ? "your model" : "another model"})`;
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
    `${m.grayscale ? "grayscale" : "colour"}` +
    (m.jpeg_quality != null ? `, a JPEG saved at quality ${m.jpeg_quality}.` : ".") : "";
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
      for (const m of modelsFor(s.task, s.scale > 1 ? s.scale : 0)) {
        if (m.yours && m.name !== s.model && !s.alternatives.includes(m.name)) sel.append(option(m.name, modelText(m)));
      }
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
      sel.append(option(mdl.name, modelText(mdl, rec), mdl.name === rec));
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
      for (const m of modelsFor(s.task, s.scale > 1 ? s.scale : 0)) {
        if (m.name !== chosen) add(m.name, `step ${i + 1} (${TASK_NAMES[s.task] || s.task}) with ${m.name}${m.yours ? " (yours)" : ""}`, i);
      }
    });
  } else {
    const chosen = $("model").value;
    for (const mdl of modelsFor($("task").value)) if (mdl.name !== chosen) add(mdl.name, mdl.name + (mdl.yours ? " (yours)" : ""));
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

function describe(prov) {
  // what a result's provenance says: one line per step (model, time, reason), total seconds, the models
  const steps = (prov && prov.steps) || [], reasons = (prov && prov.plan) || [];
  return {
    explain: steps.map((s, k) => `${TASK_NAMES[s.task] || s.task} with ${s.model}` + (s.scale > 1 ? ` ×${s.scale}` : "") +
      ` (${s.seconds}s)` + (reasons[k] ? `: ${reasons[k]}` : "")),
    seconds: steps.reduce((t, s) => t + (s.seconds || 0), 0),
    models: steps.map((s) => s.model).join(" → ") || "no change",
  };
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
      results.push({ label: v.label, url: URL.createObjectURL(blob), name: filenameFrom(res, "vivid.png"),
        ...describe(prov) });
    }
    const up = state.upload;
    $("result-title").textContent = "3. Before and after";
    showResults(results.map((r) => ({ ...r, input: up.id, beforeFallback: up.thumbnail_url })), state.localUrl);
  } catch (e) {
    showError(e);
  } finally {
    busy(button, false, "");
    loadHistory();
  }
}

function showResults(results, before) {
  // results: [{label, url, name, explain, seconds, models, before?, input?}]; before: the original's URL
  for (const r of state.results) { URL.revokeObjectURL(r.url); if (r.ownBefore) URL.revokeObjectURL(r.before); }
  state.results = results.map((r) => ({ ...r, before: r.before || before, input: r.input || "this image" }));
  const pick = $("pick");
  pick.replaceChildren(...state.results.map((r, i) => option(i, r.label === r.models ? r.models : `${r.label}: ${r.models}`, i === 0)));
  $("pick").closest(".field").hidden = results.length < 2;
  $("view").value = view.mode;
  $("result-panel").hidden = false;  // before the zoom is worked out: Fit measures the visible viewer
  selectResult(0);
  $("result-title").scrollIntoView({ block: "start" });
}

function selectResult(i) {
  state.current = +i;
  $("pick").value = state.current;
  const r = state.results[state.current];
  const before = $("before");
  before.onerror = r.beforeFallback ? async () => {
    before.onerror = null;
    before.src = await blobUrl(r.beforeFallback);
  } : null;
  before.src = r.before;
  $("after").src = r.url;
  $("after").alt = `Enhanced image (${r.models})`;
  const dl = $("download");
  dl.href = r.url; dl.download = r.name;
  dl.textContent = `Download ${r.name}`;
  $("explain").replaceChildren(...r.explain.map((t) => { const li = document.createElement("li"); li.textContent = t; return li; }));
  renderSide();
  applyZoom();
}

// --- the viewer: before/after slider or side by side, one zoom for both, panes pan together -------------
const view = { mode: "slider", scale: 1, panning: null };

function setSplit(v) {
  const s = Math.max(0, Math.min(100, Number(v)));
  $("after-clip").style.clipPath = `inset(0 0 0 ${s}%)`;
  $("divider").style.left = `${s}%`;
  $("split").value = s;
  $("split").setAttribute("aria-valuetext", `left ${s}% before, right ${100 - s}% after`);
}

function renderSide() {
  // the current result's original and every result made from the same input, each in a pane of its own
  const side = $("side"), cur = state.results[state.current];
  side.replaceChildren();
  const panes = [{ label: "Original", url: cur.before, fallback: cur.beforeFallback, index: -1 }];
  state.results.forEach((r, i) => { if (r.input === cur.input) panes.push({ label: r.models, url: r.url, index: i, r }); });
  for (const p of panes) {
    const fig = document.createElement("figure");
    fig.dataset.index = p.index;
    fig.classList.toggle("current", p.index === state.current);
    const pane = document.createElement("div");
    pane.className = "pane pannable";
    pane.tabIndex = 0;
    pane.setAttribute("aria-label", `${p.label}; scroll or drag to pan (all panes follow)`);
    const img = document.createElement("img");
    img.src = p.url;
    img.alt = p.index < 0 ? "Original image" : `Result with ${p.label}`;
    if (p.fallback) img.onerror = async () => { img.onerror = null; img.src = await blobUrl(p.fallback); };
    pane.append(img);
    const cap = document.createElement("figcaption");
    cap.textContent = p.r ? `${p.r.models}${p.r.seconds ? ` · ${p.r.seconds.toFixed(2)} s` : ""}` : "Original";
    fig.append(cap, pane);
    if (p.r) {
      const row = document.createElement("div");
      row.className = "row";
      const show = document.createElement("button");
      show.type = "button"; show.textContent = "Compare with original";
      show.addEventListener("click", () => {
        view.mode = "slider"; $("view").value = "slider";
        selectResult(p.index);
        $("viewport").scrollIntoView({ block: "nearest" });
      });
      const dl = document.createElement("a");
      dl.className = "button"; dl.href = p.r.url; dl.download = p.r.name; dl.textContent = "Download";
      row.append(show, dl);
      fig.append(row);
    }
    side.append(fig);
    pane.addEventListener("scroll", () => syncPan(pane));
    setupPan(pane);
  }
}

function syncPan(from) {
  // the same place in every pane (they all show the image at the same size)
  for (const p of $("side").querySelectorAll(".pane")) {
    if (p === from) continue;
    if (p.scrollLeft !== from.scrollLeft) p.scrollLeft = from.scrollLeft;
    if (p.scrollTop !== from.scrollTop) p.scrollTop = from.scrollTop;
  }
}

function boxSize(box) {
  // the room inside a scroll box for the image: its width, and its height limit (set below)
  const cs = getComputedStyle(box);
  const bx = parseFloat(cs.borderLeftWidth) + parseFloat(cs.borderRightWidth);
  const by = parseFloat(cs.borderTopWidth) + parseFloat(cs.borderBottomWidth);
  return [box.getBoundingClientRect().width - bx, parseFloat(box.style.maxHeight) - by];
}

function maxViewHeight() {
  // the viewer never gets taller than most of the window, so Fit shows a portrait whole
  return Math.max(200, Math.round(window.innerHeight * (window.innerWidth <= 700 ? 0.6 : 0.72)));
}

function applyZoom() {
  const after = $("after");
  if (!(after.complete && after.naturalWidth)) {
    after.addEventListener("load", applyZoom, { once: true });
    return;
  }
  const w = after.naturalWidth, h = after.naturalHeight, zoom = $("zoom").value;
  const side = view.mode === "side";
  $("slider-view").hidden = side;
  $("side").hidden = !side;
  const boxes = side ? [...$("side").querySelectorAll(".pane")] : [$("viewport")];
  if (!boxes.length || $("result-panel").hidden) return;
  const centres = boxes.map((b) => [(b.scrollLeft + b.clientWidth / 2) / (b.scrollWidth || 1),
    (b.scrollTop + b.clientHeight / 2) / (b.scrollHeight || 1)]);
  const maxH = side ? Math.round(maxViewHeight() * (window.innerWidth <= 700 ? 0.7 : 0.85)) : maxViewHeight();
  for (const b of boxes) b.style.maxHeight = `${maxH}px`;
  let scale = Number(zoom);
  if (zoom === "fit") {  // the whole image in the box, never enlarged
    const [bw, bh] = boxSize(boxes[0]);
    scale = Math.min(1, bw / w, bh / h);
  }
  view.scale = scale;
  const dw = Math.max(1, Math.floor(w * scale)), dh = Math.max(1, Math.floor(h * scale));
  const sized = side ? boxes.map((b) => b.querySelector("img")) : [$("stage")];
  for (const el of sized) {
    el.style.width = `${dw}px`;
    el.style.height = `${dh}px`;
  }
  for (const b of boxes) b.classList.toggle("pixelated", scale >= 2);
  $("zoom-level").textContent = `${Math.round(scale * 100)}%`;
  boxes.forEach((b, k) => {  // keep the same spot in the middle
    b.scrollLeft = centres[k][0] * b.scrollWidth - b.clientWidth / 2;
    b.scrollTop = centres[k][1] * b.scrollHeight - b.clientHeight / 2;
  });
}

function setupPan(box) {
  // drag with the mouse to pan a zoomed image (touch screens scroll natively)
  box.addEventListener("pointerdown", (e) => {
    if (e.pointerType !== "mouse" || e.button !== 0) return;
    if (box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight) return;
    if (e.target.closest(".handle")) return;
    view.panning = { box, x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop };
    box.setPointerCapture(e.pointerId);
    box.classList.add("panning");
    e.preventDefault();
  });
  box.addEventListener("pointermove", (e) => {
    const p = view.panning;
    if (!p || p.box !== box) return;
    box.scrollLeft = p.left - (e.clientX - p.x);
    box.scrollTop = p.top - (e.clientY - p.y);
  });
  const end = () => { if (view.panning && view.panning.box === box) { view.panning = null; box.classList.remove("panning"); } };
  box.addEventListener("pointerup", end);
  box.addEventListener("pointercancel", end);
}

function setupCompare() {
  $("split").addEventListener("input", (e) => setSplit(e.target.value));
  $("zoom").addEventListener("change", applyZoom);
  $("view").addEventListener("change", (e) => { view.mode = e.target.value; applyZoom(); });
  $("pick").addEventListener("change", (e) => selectResult(e.target.value));
  const stage = $("stage"), viewport = $("viewport");
  let dragging = false;
  const move = (e) => {
    const r = stage.getBoundingClientRect();
    setSplit(Math.round(((e.clientX - r.left) / r.width) * 100));
  };
  // the divider's handle always moves the split; elsewhere a drag pans when zoomed in, else moves the split
  stage.addEventListener("pointerdown", (e) => {
    const zoomed = viewport.scrollWidth > viewport.clientWidth || viewport.scrollHeight > viewport.clientHeight;
    if (zoomed && !e.target.closest(".handle") && e.pointerType === "mouse") return;
    if (zoomed && e.pointerType !== "mouse" && !e.target.closest(".handle")) return;  // touch: scroll
    dragging = true;
    stage.setPointerCapture(e.pointerId);
    e.stopPropagation();
    move(e);
  }, { capture: true });
  stage.addEventListener("pointermove", (e) => { if (dragging) move(e); });
  stage.addEventListener("pointerup", () => { dragging = false; });
  setupPan(viewport);
  let pending = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => { if (!$("result-panel").hidden && $("zoom").value === "fit") applyZoom(); });
  });
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
  if (task !== "auto") for (const m of modelsFor(task)) sel.append(option(m.name, m.yours ? `${m.name} (your model)` : m.name));
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
  const running = job.status === "queued" || job.status === "running";
  const eta = job.eta_seconds != null ? ` · about ${Math.ceil(job.eta_seconds)} s left` : "";
  const msg = plain(job.message || "");
  let text = `${job.status} · ${pct}%${eta}` + (msg && msg !== job.status && !job.error ? ` · ${msg}` : "");
  if (job.error && job.status === "failed") text = `failed: ${userMessage(job.error)}`;
  else if (job.error && job.error.code === "partial") text = `done · ${pct}% · some files failed (see below)`;
  $("job-status").textContent = text;
  $("job-cancel").hidden = !running;
  $("job-download").hidden = !job.result_url;
  const list = $("job-results");
  list.replaceChildren();
  // the file being worked on: the first one without an end (jobs run their inputs in order)
  const active = running && job.status === "running" ? job.results.find((r) => r.status === "pending" || r.status === "running") : null;
  for (const r of job.results) {
    const li = document.createElement("li");
    if (r.url) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = `Download ${r.upload.name}`;
      b.addEventListener("click", () => download(r.url, r.upload.name).catch((e) => showError(e)));
      li.append(b);
    } else if (r === active) {
      const own = job.results.length === 1 ? pct : null;  // one input (a video): the job's progress is its own
      li.textContent = `${r.upload.name}: in progress` + (own != null ? ` · ${own}%` : "") + (msg ? ` · ${msg}` : "");
      li.className = "active";
    } else if (running && (r.status === "pending" || r.status === "running")) {
      li.textContent = `${r.upload.name}: waiting`;
    } else {
      li.textContent = `${r.upload.name}: ${r.error ? `not processed: ${plain(r.error)}` : r.status}`;
      if (r.error) li.className = "failed";
    }
    list.append(li);
  }
  for (const x of job.rejected || []) {
    const li = document.createElement("li");
    li.className = "failed";
    li.textContent = `${x.name}: not used: ${unreadable(x.reason) ? UNREADABLE : plain(x.reason)}`;
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
function jobModels(job) {
  // the models that made a job's results (from their provenance), else the ones asked for
  const names = [];
  for (const r of job.results) for (const s of (r.provenance && r.provenance.steps) || []) if (!names.includes(s.model)) names.push(s.model);
  if (!names.length && job.options.model) names.push(job.options.model);
  return names.join(" → ");
}

async function openJob(job) {
  // show an earlier job's results again: before/after, side by side, plan and models; one image can be re-planned
  clearError();
  const done = job.results.filter((r) => r.url && r.upload.media === "image");
  if (!done.length) return;
  const results = [];
  for (const r of done) {
    const d = describe(r.provenance);
    if (!d.explain.length && r.plan) d.explain = (r.plan.steps || []).map((s) => `${TASK_NAMES[s.task] || s.task} with ${s.model}: ${s.reason}`);
    results.push({
      label: r.upload.name, url: await blobUrl(r.url), ...d,
      name: `${r.upload.name.replace(/\.[^.]*$/, "")}_vivid.${{ jpeg: "jpg", tiff: "tif" }[r.format] || r.format || "png"}`,
      before: `/v1/uploads/${r.upload.id}/file`, beforeFallback: r.upload.thumbnail_url, input: r.upload.id,
    });
    if (state.key) {  // with an API key the browser cannot fetch the original by itself: load it here
      const last = results[results.length - 1];
      last.before = await blobUrl(last.before).catch(() => blobUrl(r.upload.thumbnail_url));
      last.ownBefore = true;
    }
  }
  $("job-panel").hidden = true;
  $("plan-panel").hidden = true;
  $("result-title").textContent = `3. Before and after · ${new Date(job.created_at).toLocaleString()}`;
  showResults(results);
  if (done.length === 1) {  // the plan panel for this image, to try other models on it
    state.mode = "single";
    state.upload = done[0].upload;
    if (state.localUrl) URL.revokeObjectURL(state.localUrl);
    state.localUrl = results[0].before;
    try {
      const form = new FormData();
      form.append("upload_id", done[0].upload.id);
      showPlan(await apiJson("/v1/analyze", { method: "POST", body: form }));
      $("result-panel").scrollIntoView({ block: "start" });
    } catch (e) { /* the results are shown; re-planning is optional */ }
  }
}

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
    const task = job.options.task === "auto" ? "auto plan" : TASK_NAMES[job.options.task] || job.options.task;
    const names = job.results.length > 1 ? `${job.results.length} images` : (first ? first.upload.name : "");
    const status = document.createElement("span");
    status.className = `status-${job.status}`;
    status.textContent = job.status;
    const models = document.createElement("span");
    models.className = "models";
    models.textContent = jobModels(job) || "no model";
    meta.append(status, ` · ${task}`, document.createElement("br"), models, document.createElement("br"), names,
      document.createElement("br"), when);
    if (job.rejected && job.rejected.length) meta.append(document.createElement("br"), `${job.rejected.length} file(s) not used`);
    li.append(img, meta);
    const row = document.createElement("div");
    row.className = "row";
    if (job.results.some((r) => r.url && r.upload.media === "image")) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Open";
      b.setAttribute("aria-label", `Open the result of ${names}`);
      b.addEventListener("click", () => openJob(job).catch((e) => showError(e)));
      row.append(b);
    }
    if (job.result_url) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Download";
      b.setAttribute("aria-label", `Download result of ${names}`);
      b.addEventListener("click", () => download(job.result_url, "vivid-result").catch((e) => showError(e)));
      row.append(b);
    }
    if (job.status === "queued" || job.status === "running") {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Follow";
      b.addEventListener("click", () => {
        $("job-panel").hidden = false; $("job-options").hidden = true;
        $("job-title").textContent = "Job"; followJob(job);
      });
      row.append(b);
    }
    li.append(row);
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
