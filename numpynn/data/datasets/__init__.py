"""Data loaders: Breast Cancer Wisconsin, MNIST (local folder, cache or verified download), IDX, CSV and
folders of images or text files.

One module per source: ``tables`` (Breast Cancer, CSV), ``idx`` (IDX files and folders of them),
``mnist`` (finding, downloading and verifying MNIST), ``images`` (a sub-folder of images per class),
``text`` (a sub-folder of .txt files per class); ``folders`` holds the layout the last two share.
"""

from numpynn.data.datasets.arrays import load_npz, npz_kind
from numpynn.data.datasets.base import Dataset, DatasetError
from numpynn.data.datasets.idx import load_idx, parse_idx, read_file_bytes, read_idx
from numpynn.data.datasets.images import ImageFolder, load_image_folder, read_image
from numpynn.data.datasets.mnist import MNIST_FILES, MNIST_MIRRORS, download_file, load_mnist, mnist_cache_dir
from numpynn.data.datasets.tables import (
    encode_labels,
    load_breast_cancer,
    load_csv,
    load_diabetes,
    numeric_columns,
    read_csv_columns,
    read_csv_table,
)
from numpynn.data.datasets.text import TextFolder, load_text_folder, read_text

__all__ = [
    "Dataset",
    "DatasetError",
    "ImageFolder",
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "download_file",
    "encode_labels",
    "load_breast_cancer",
    "load_csv",
    "load_diabetes",
    "load_idx",
    "load_image_folder",
    "load_mnist",
    "load_npz",
    "mnist_cache_dir",
    "npz_kind",
    "numeric_columns",
    "parse_idx",
    "read_csv_columns",
    "read_csv_table",
    "read_file_bytes",
    "read_idx",
    "read_image",
    "read_text",
    "TextFolder",
    "load_text_folder",
]
