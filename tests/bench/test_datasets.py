"""Dataset resolution: names through VIVID_DATA_ROOT, folders, pairing, and clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vivid.bench.datasets import DATA_ROOT_ENV, resolve_dataset
from vivid.errors import ConfigError, InputError
from vivid.io.image import Image
from vivid.io.write import write_image


def test_named_dataset_resolves_under_the_data_root(make_folder, tmp_path: Path, monkeypatch) -> None:
    make_folder("root/sr/Set5/HR", n=2)
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "root"))
    ds = resolve_dataset("set5", task="sr")  # names are case-insensitive
    assert ds.name == "Set5" and ds.mode == "clean"
    assert [i.name for i in ds.items] == ["img0", "img1"]
    assert (ds.items[0].height, ds.items[0].width, ds.items[0].channels) == (40, 48, 3)


def test_paired_set_is_paired_only_for_its_own_task(paired_folder, tmp_path: Path, monkeypatch) -> None:
    paired_folder("root/lowlight/LOL/eval15")
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "root"))
    lol = resolve_dataset("LOL", task="lowlight")
    assert lol.mode == "paired"
    assert all(i.source is not None and i.source.parent.name == "low" for i in lol.items)
    assert all(i.target is not None and i.target.parent.name == "high" for i in lol.items)
    as_clean = resolve_dataset("LOL", task="sr")  # other tasks degrade the normal-light images
    assert as_clean.mode == "clean" and all(i.target.parent.name == "high" for i in as_clean.items)


def test_user_folder_with_a_pair_layout_is_paired(paired_folder) -> None:
    root = paired_folder("mine", "input", "expertC")
    assert resolve_dataset(str(root), task="color").mode == "paired"
    assert resolve_dataset(str(root), task="denoise").mode == "clean"


def test_limit_keeps_the_first_images_in_name_order(make_folder) -> None:
    folder = make_folder("five", n=5)
    assert [i.name for i in resolve_dataset(str(folder), task="sr", limit=2).items] == ["img0", "img1"]


def test_unknown_name_suggests_close_names() -> None:
    with pytest.raises(ConfigError, match=r"unknown dataset 'Set15'.*Set5|Set14"):
        resolve_dataset("Set15", task="sr")


def test_named_dataset_without_a_data_root_says_how_to_set_it(monkeypatch) -> None:
    monkeypatch.setenv(DATA_ROOT_ENV, "/nonexistent/vivid-data")
    with pytest.raises(InputError, match="VIVID_DATA_ROOT"):
        resolve_dataset("Set5", task="sr")


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images here")
    with pytest.raises(InputError, match="holds no images"):
        resolve_dataset(str(tmp_path / "empty"), task="sr")


def test_unmatched_pairs_name_the_files(paired_folder) -> None:
    root = paired_folder("pairs")
    (root / "high" / "img1.png").rename(root / "high" / "other.png")
    with pytest.raises(InputError, match=r"unmatched pairs.*img1.*other"):
        resolve_dataset(str(root), task="lowlight")


def test_pairs_of_different_sizes_are_an_error(paired_folder) -> None:
    root = paired_folder("pairs")
    write_image(Image(np.zeros((3, 30, 30), np.float32)), root / "low" / "img0.png", overwrite=True)
    with pytest.raises(InputError, match=r"pair 'img0' differs in size: input img0.png is 30x30"):
        resolve_dataset(str(root), task="lowlight")


def test_unreadable_image_is_an_error(make_folder) -> None:
    folder = make_folder("broken", n=1)
    (folder / "bad.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match="bad.png is not a readable image"):
        resolve_dataset(str(folder), task="sr")
