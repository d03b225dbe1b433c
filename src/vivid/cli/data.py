"""``vivid data``: dataset preparation (a thin layer over :mod:`vivid.train.prepare`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(help="Prepare training data from folders of photos.", no_args_is_help=True, add_completion=False)


@data_app.command()
def prepare(
    src: Annotated[Path, typer.Argument(help="Folder of photos (searched recursively).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder (mirrored structure, PNG).")],
    size: Annotated[int, typer.Option(help="Side of the output images/patches in pixels.")] = 96,
    mode: Annotated[str, typer.Option(help="resize, center, grid or random.")] = "random",
    crops: Annotated[int, typer.Option(help="Random crops per image (mode random).")] = 4,
    scales: Annotated[str, typer.Option(help="Also use the images downscaled by these factors, e.g. 1,0.8,0.6.")] = "1",
    flip: Annotated[bool, typer.Option(help="Add horizontally flipped copies.")] = False,
    seed: Annotated[int, typer.Option(help="Seed for random crops.")] = 0,
) -> None:
    """Crop, resize and augment a folder of photos into a training folder."""
    from vivid.cli.common import guarded
    from vivid.errors import ConfigError
    from vivid.train.prepare import PrepareOptions, prepare_folder

    @guarded
    def go() -> None:
        try:
            factors = tuple(float(v) for v in scales.split(",") if v.strip())
        except ValueError:
            raise ConfigError(f"--scales must be numbers like 1,0.8, got {scales!r}") from None
        opts = PrepareOptions(size=size, mode=mode, crops_per_image=crops, scales=factors, flip=flip, seed=seed)
        n = prepare_folder(src, output, opts)
        typer.echo(f"{n} images written to {output}")

    go()
