"""Vector search as a numpy scan over one in-memory matrix (no SQLite extension needed: STACK.md).

The store hands out the matrix of current memories per embedding model and drops it on every write;
a scan of 100,000 x 384 float32 rows is one matrix-vector product.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

IdArray = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]


def empty(dim: int = 0) -> tuple[IdArray, Matrix]:
    """No vectors."""
    return np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32)


def normalise(matrix: npt.NDArray[np.floating]) -> Matrix:
    """Rows scaled to unit length (a zero row stays zero)."""
    m = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    out: Matrix = (m / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


def from_rows(rows: Iterable[tuple[int, int, bytes]], count: int) -> tuple[IdArray, Matrix]:
    """At most `count` (memory id, dim, float32 blob) rows as ids and one matrix, filled in place.

    Rows are copied one by one into a preallocated matrix: joining the blobs first would hold the
    vectors twice over (100k x 384: 150 MB more at the peak). A row of another length than the first
    is left out (one model makes one length; another means a broken write).
    """
    ids = np.zeros(count, dtype=np.int64)
    matrix: Matrix | None = None
    n = 0
    for memory_id, dim, blob in rows:
        if matrix is None:
            matrix = np.zeros((count, int(dim)), dtype=np.float32)
        if n >= count or int(dim) != matrix.shape[1] or len(blob) != 4 * matrix.shape[1]:
            continue
        matrix[n] = np.frombuffer(blob, dtype="<f4")
        ids[n] = memory_id
        n += 1
    if matrix is None:
        return empty()
    return ids[:n], matrix[:n]


def scores(matrix: Matrix, query: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The cosine of every row with `query` (both unit length).

    einsum runs numpy's own single-threaded SIMD loop: OpenBLAS's threaded matrix-vector product was
    10-15x slower on the busy 2-core machine (measured: 10k x 384, 29 ms against 1.9-2.9 ms).
    """
    out: npt.NDArray[np.float32] = np.einsum("ij,j->i", matrix, np.asarray(query, dtype=np.float32).reshape(-1))
    return out


def rows_of(ids: IdArray, wanted: list[int]) -> dict[int, int]:
    """Row numbers of the `wanted` ids present in `ids` (sorted ascending)."""
    if not wanted or ids.size == 0:
        return {}
    want = np.asarray(wanted, dtype=np.int64)
    pos = np.searchsorted(ids, want)
    pos = np.minimum(pos, ids.size - 1)
    found = ids[pos] == want
    return {int(w): int(p) for w, p, f in zip(want, pos, found, strict=True) if f}


class GrowingMatrix:
    """Ids (ascending) and rows with room to grow, so adding a memory is amortised O(1), not a copy of them all."""

    def __init__(self, ids: IdArray, matrix: Matrix) -> None:
        self._n = int(ids.size)
        # no copy: the first append past the end moves them into a larger buffer anyway
        self._ids = np.asarray(ids, dtype=np.int64)
        self._rows = np.ascontiguousarray(matrix, dtype=np.float32)

    @property
    def dim(self) -> int:
        """Vector length (0 while empty)."""
        return int(self._rows.shape[1])

    def view(self) -> tuple[IdArray, Matrix]:
        """The ids and rows so far; later appends never change what a view shows."""
        return self._ids[: self._n], self._rows[: self._n]

    def append(self, memory_id: int, row: npt.NDArray[np.float32]) -> bool:
        """Add one row; False when it cannot keep the order or the size (the caller then rebuilds)."""
        r = np.asarray(row, dtype=np.float32).reshape(-1)
        if self._n and (memory_id <= int(self._ids[self._n - 1]) or r.shape[0] != self.dim):
            return False
        if self._n == 0 and r.shape[0] != self.dim:
            self._rows = np.zeros((0, r.shape[0]), dtype=np.float32)
        if self._n == self._rows.shape[0]:
            capacity = max(16, self._n * 2)
            rows = np.zeros((capacity, r.shape[0]), dtype=np.float32)
            rows[: self._n] = self._rows[: self._n]
            ids = np.zeros(capacity, dtype=np.int64)
            ids[: self._n] = self._ids[: self._n]
            self._rows, self._ids = rows, ids
        self._rows[self._n] = r
        self._ids[self._n] = memory_id
        self._n += 1
        return True
