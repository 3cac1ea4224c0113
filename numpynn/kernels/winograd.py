"""3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray 2016).

Each 2x2 block of outputs needs the 4x4 input tile under it. Direct convolution spends 2*2*9 = 36
multiplications per block, channel and filter; in Winograd's transformed space it is 16:

    Y = A^T [ (G g G^T) * (B^T d B) ] A          (* element-wise, 4x4)

with g a 3x3 filter, d a 4x4 input tile and the small fixed matrices B^T (4x4), G (4x3), A^T (2x4)
below. Summed over input channels, the 16 element-wise products become 16 matrix products
(tiles x C) @ (C x filters), which BLAS runs well. The transforms themselves are additions and
subtractions only (the 1/2 in G is applied once to the filters).

Backward is the same algebra transposed: the output gradient goes through A (dM = A dY A^T), the
weight gradient is 16 products V^T dM taken back through G (dW = G^T dU G, ``weight_grad``), and the
input gradient is 16 products dM U^T taken back through B (dd = B dV B^T) and added onto the
overlapping tiles.
Shapes: x (N, H, W, C) channels last; W (3, 3, C, F).
"""

from __future__ import annotations

import numpy as np

from numpynn.kernels.parallel import split_rows
from numpynn.kernels.workspace import Workspace

# F(2x2, 3x3): 4x4 input tiles, 2x2 output blocks.
B_T = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
A_T = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)
# F(4x4, 3x3): 6x6 input tiles, 4x4 output blocks (Lavin and Gray 2016, with the points 0, +-1, +-2).
B_T4 = np.array(
    [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ],
    dtype=np.float64,
)
G4 = np.array(
    [
        [1 / 4, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0, 0, 1],
    ],
    dtype=np.float64,
)
A_T4 = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], dtype=np.float64)
VARIANTS = {2: (B_T, G, A_T), 4: (B_T4, G4, A_T4)}  # output block size -> its matrices


def transform_filters(weights: np.ndarray, block: int = 2) -> np.ndarray:
    """W (3, 3, C, F) -> U (P, C, F): G g G^T for every channel and filter, the P = (block + 2)^2 tile
    positions first."""
    g = VARIANTS[block][1]
    transformed = np.einsum("ai,ijcf,bj->abcf", g, weights.astype(np.float64), g)
    return np.ascontiguousarray(transformed.reshape(-1, *weights.shape[2:]), dtype=weights.dtype)


def filter_grad(grad_u: np.ndarray, block: int = 2) -> np.ndarray:
    """dU (P, C, F) -> dW (3, 3, C, F) = G^T dU G (the adjoint of transform_filters)."""
    g = VARIANTS[block][1]
    wide = grad_u.astype(np.float64).reshape(len(g), len(g), *grad_u.shape[1:])
    return np.einsum("ai,abcf,bj->ijcf", g, wide, g).astype(grad_u.dtype)


def weight_grad(tiles: np.ndarray, grad_m: np.ndarray, block: int = 2) -> np.ndarray:
    """V (P, tiles, C) and dM (P, tiles, F) -> dW (3, 3, C, F): dU = V^T dM per tile position, then G^T dU G."""
    return filter_grad(np.matmul(tiles.transpose(0, 2, 1), grad_m), block)


# A tile's 2-D transform M^T d M is, on the tile flattened to P numbers, one matrix: kron(M^T, M^T).
# Applied to all tiles and channels at once it is a single matrix product with P rows: BLAS does the
# additions on both cores, where NumPy would make a pass over the data for each one.
def _kron(block: int) -> tuple[np.ndarray, np.ndarray]:
    b_t, _, a_t = VARIANTS[block]
    return np.kron(b_t, b_t), np.kron(a_t, a_t)  # (P, P): d -> B^T d B; (block^2, P): m -> A^T m A


def _tiles(out_size: tuple[int, int], block: int) -> tuple[int, int]:
    return -(-out_size[0] // block), -(-out_size[1] // block)


def transform_input(
    x: np.ndarray,
    pads: tuple[int, int, int, int],
    out_size: tuple[int, int],
    block: int = 2,
    workspace: Workspace | None = None,
) -> np.ndarray:
    """x (N, H, W, C) -> V (P, N * tiles_h * tiles_w, C): B^T d B of every tile (tiles at stride ``block``).

    With a ``workspace`` the scratch arrays, and V itself, are reused from the last call."""
    workspace = workspace or Workspace()
    (top, _, left, _), tile = pads, block + 2
    batch, height, width, channels = x.shape
    tiles_h, tiles_w = _tiles(out_size, block)
    # Only the interior is written, so the zero border of a reused buffer stays zero.
    padded = workspace.get(
        "padded input", (batch, block * tiles_h + 2, block * tiles_w + 2, channels), x.dtype, zeros=True
    )
    rows, cols = min(height, padded.shape[1] - top), min(width, padded.shape[2] - left)
    taps = workspace.get("input taps", (tile * tile, batch, tiles_h, tiles_w, channels), x.dtype)  # (i, j) of each

    def gather(images: slice) -> None:
        padded[images, top : top + rows, left : left + cols] = x[images, :rows, :cols]
        for i in range(tile):
            for j in range(tile):
                taps[tile * i + j, images] = padded[
                    images, i : i + block * tiles_h : block, j : j + block * tiles_w : block
                ]

    split_rows(gather, batch, taps.size)
    transformed = workspace.get("tiles", (tile * tile, batch * tiles_h * tiles_w * channels), x.dtype)
    np.matmul(_kron(block)[0].astype(x.dtype), taps.reshape(tile * tile, -1), out=transformed)
    return transformed.reshape(tile * tile, -1, channels)


def transform_output(
    products: np.ndarray, batch: int, out_size: tuple[int, int], block: int = 2, workspace: Workspace | None = None
) -> np.ndarray:
    """M (P, N * tiles, F) -> Y (N, out_h, out_w, F): A^T m A of every tile, the output blocks side by side.
    Y is a new array (never workspace memory)."""
    workspace = workspace or Workspace()
    tiles_h, tiles_w = _tiles(out_size, block)
    filters = products.shape[-1]
    blocks = workspace.get("output transform", (block * block, products[0].size), products.dtype)
    np.matmul(_kron(block)[1].astype(products.dtype), products.reshape(len(products), -1), out=blocks)
    blocks = blocks.reshape(block, block, batch, tiles_h, tiles_w, filters)
    out = np.empty((batch,) + tuple(out_size) + (filters,), dtype=products.dtype)
    rows, cols = out_size

    def scatter(images: slice) -> None:
        for dy in range(block):
            for dx in range(block):
                # Output row block * ty + dy comes from tile row ty; the last tiles may hang over the edge.
                out[images, dy::block, dx::block] = blocks[
                    dy, dx, images, : len(range(dy, rows, block)), : len(range(dx, cols, block))
                ]

    split_rows(scatter, batch, out.size)
    return out


def output_grad_transform(grad: np.ndarray, block: int = 2, workspace: Workspace | None = None) -> np.ndarray:
    """dY (N, out_h, out_w, F) -> dM (P, N * tiles, F) = A dY A^T per tile (transform_output's adjoint)."""
    workspace = workspace or Workspace()
    batch, out_h, out_w, filters = grad.shape
    tiles_h, tiles_w = _tiles((out_h, out_w), block)
    # Positions past the output's edge (in the last tiles) hold zeros: they are written once, never again.
    blocks = workspace.get("output blocks", (block, block, batch, tiles_h, tiles_w, filters), grad.dtype, zeros=True)

    def gather(images: slice) -> None:
        for dy in range(block):
            for dx in range(block):
                blocks[dy, dx, images, : len(range(dy, out_h, block)), : len(range(dx, out_w, block))] = grad[
                    images, dy::block, dx::block
                ]

    split_rows(gather, batch, blocks.size)
    transform = _kron(block)[1].T.astype(grad.dtype)
    transformed = workspace.get("output gradient tiles", (len(transform), blocks[0, 0].size), grad.dtype)
    np.matmul(transform, blocks.reshape(block * block, -1), out=transformed)
    return transformed.reshape(len(transformed), -1, filters)


def input_grad(
    grad_v: np.ndarray,
    input_shape: tuple,
    pads: tuple[int, int, int, int],
    out_size: tuple[int, int],
    block: int = 2,
    workspace: Workspace | None = None,
) -> np.ndarray:
    """dV (P, N * tiles, C) -> dx (N, H, W, C): B dV B^T per tile, added onto the overlapping tiles.
    dx is a new array (never workspace memory)."""
    workspace = workspace or Workspace()
    (top, _, left, _), tile = pads, block + 2
    batch, height, width, channels = input_shape
    tiles_h, tiles_w = _tiles(out_size, block)
    taps = workspace.get("gradient taps", (tile * tile, grad_v[0].size), grad_v.dtype)
    np.matmul(_kron(block)[0].T.astype(grad_v.dtype), grad_v.reshape(tile * tile, -1), out=taps)
    taps = taps.reshape(tile * tile, batch, tiles_h, tiles_w, channels)
    padded = workspace.get("padded gradient", (batch, block * tiles_h + 2, block * tiles_w + 2, channels), grad_v.dtype)
    rows, cols = min(height, padded.shape[1] - top), min(width, padded.shape[2] - left)
    grad = (
        np.zeros(input_shape, dtype=grad_v.dtype)
        if (rows, cols) != (height, width)
        else np.empty(input_shape, dtype=grad_v.dtype)
    )

    def scatter_add(images: slice) -> None:
        padded[images] = 0
        for i in range(tile):
            for j in range(tile):
                padded[images, i : i + block * tiles_h : block, j : j + block * tiles_w : block] += taps[
                    tile * i + j, images
                ]
        grad[images, :rows, :cols] = padded[images, top : top + rows, left : left + cols]

    split_rows(scatter_add, batch, taps.size)
    return grad
