"""The layout shared by image and text folders: one sub-folder per class, optionally inside ``train/``,
``test/`` (and ``val/``) sub-folders that are then used as the splits, as given."""

from __future__ import annotations

from pathlib import Path

from numpynn.data.datasets.base import DatasetError

SPLIT_NAMES = ("train", "val", "test")


def class_folders(folder: Path) -> list[Path]:
    """The sub-folders of ``folder`` (sorted; hidden ones left out)."""
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def files_with_suffix(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Every file below ``folder`` whose suffix is one of ``suffixes`` (sorted; hidden files left out)."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in suffixes
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def split_layout(folder: Path, what: str) -> dict[str, Path]:
    """{"train": ..., "test": ... [, "val": ...]} when the folder holds splits, else {"all": folder}.

    ``what`` names the files for the error messages ("images", "text files")."""
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder; give a folder with one sub-folder of {what} per class.")
    names = {p.name.lower(): p for p in class_folders(folder)}
    if "train" in names and "test" in names:
        return {split: names[split] for split in SPLIT_NAMES if split in names}
    if "train" in names or "test" in names:
        raise DatasetError(
            f"{folder} has a {'train' if 'train' in names else 'test'} folder but no "
            f"{'test' if 'train' in names else 'train'} folder; give both (and optionally val), "
            "or put the class folders directly in it."
        )
    return {"all": folder}
