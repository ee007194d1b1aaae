"""Table: named numpy columns of equal length, with conversions to Arrow, pandas and polars and
CSV/Parquet writers (the optional extras are imported only when asked for).

Column kinds:
- numbers: int64 (money as `*_cents`, keys), other numpy numbers and bools; a column may have
  a null mask (`nulls(name)`; extracted amounts hold 0 under it);
- dates: numpy `datetime64[D]`, NaT where missing; `datetime.date` in row access;
- text: `StringColumn`, byte spans (start, end) of one buffer, decoded only when asked. A table
  extracted from a document points into the document's bytes, so making it copies no text;
  concatenating tables of different buffers (documents, stream windows) copies their cells
  into one buffer, so the sources can be freed.

A column may also be given as a function that computes it on first use, so that what nobody
asks for is never computed. Text is UTF-8 (undecodable bytes are kept as surrogate escapes,
as in `edi.model`).
"""
from __future__ import annotations

import csv
import datetime
import os
from typing import Callable, Iterator, Mapping, Sequence, Union

import numpy as np

from .errors import EdiError
from .index import ENCODING, ERRORS


class StringColumn:
    """Text cells as byte spans of one buffer: cell r is `buf[start[r]:end[r]]`."""

    __slots__ = ("buf", "start", "end")

    def __init__(self, buf: bytes, start: np.ndarray, end: np.ndarray):
        self.buf = buf
        self.start = np.asarray(start, dtype=np.int64)
        self.end = np.asarray(end, dtype=np.int64)

    @classmethod
    def from_strings(cls, values: Sequence[str]) -> "StringColumn":
        cells = [v.encode(ENCODING, ERRORS) for v in values]
        offsets = np.zeros(len(cells) + 1, np.int64)
        np.cumsum([len(c) for c in cells], out=offsets[1:])
        return cls(b"".join(cells), offsets[:-1], offsets[1:])

    def __len__(self) -> int:
        return len(self.start)

    def __getitem__(self, r: int) -> str:
        return self.buf[int(self.start[r]) : int(self.end[r])].decode(ENCODING, ERRORS)

    def offsets_and_data(self) -> tuple[np.ndarray, bytes]:
        """The cells laid out as Arrow strings: int64 offsets (n + 1) and the bytes they index."""
        lengths = self.end - self.start
        offsets = np.zeros(len(lengths) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if len(self.start) and np.array_equal(self.start[1:], self.end[:-1]):  # already contiguous
            first = int(self.start[0])
            return offsets, self.buf[first : first + int(offsets[-1])]
        # Gather: the position in `buf` of every output byte is its offset in the output plus
        # the shift of the cell it belongs to.
        shift = np.repeat(self.start - offsets[:-1], lengths)
        positions = np.arange(int(offsets[-1]), dtype=np.int64) + shift
        return offsets, np.frombuffer(self.buf, np.uint8)[positions].tobytes()

    def compact(self) -> "StringColumn":
        """The same cells in a buffer of their own (no reference to the source bytes)."""
        offsets, data = self.offsets_and_data()
        return StringColumn(data, offsets[:-1], offsets[1:])

    def to_numpy(self) -> np.ndarray:
        """The cells as a numpy object array of str."""
        offsets, data = self.offsets_and_data()
        bounds = offsets.tolist()
        if data.isascii():  # one decode, then slices by byte offset (= character offset)
            text = data.decode("ascii")
            cells = [text[a:b] for a, b in zip(bounds, bounds[1:])]
        else:
            cells = [data[a:b].decode(ENCODING, ERRORS) for a, b in zip(bounds, bounds[1:])]
        out = np.empty(len(cells), dtype=object)
        out[:] = cells
        return out

    def equals(self, text: str) -> np.ndarray:
        """A bool array: which cells are exactly `text` (compared in place, byte by byte)."""
        raw = text.encode(ENCODING, ERRORS)
        hits = (self.end - self.start) == len(raw)
        if raw and self.buf:
            data = np.frombuffer(self.buf, np.uint8)
            for k, byte in enumerate(raw):  # clipped: a shorter cell at the very end is no hit anyway
                hits &= np.take(data, self.start + k, mode="clip") == byte
        return hits

    def take(self, rows: np.ndarray) -> "StringColumn":
        return StringColumn(self.buf, self.start[rows], self.end[rows])

    @staticmethod
    def concat(columns: Sequence["StringColumn"]) -> "StringColumn":
        """One column of all the cells; over different buffers the cells are copied into one."""
        if all(c.buf is columns[0].buf for c in columns):
            return StringColumn(columns[0].buf, np.concatenate([c.start for c in columns]),
                                np.concatenate([c.end for c in columns]))
        parts = [c.offsets_and_data() for c in columns]
        shifts = np.cumsum([0] + [len(data) for _, data in parts[:-1]])
        offsets = np.concatenate([o[:-1] + s for (o, _), s in zip(parts, shifts)] + [[sum(len(d) for _, d in parts)]])
        return StringColumn(b"".join(data for _, data in parts), offsets[:-1], offsets[1:])


Column = Union[np.ndarray, StringColumn]


class Table:
    """Named columns of equal length. `columns` maps names to numpy arrays, `StringColumn`s, or
    functions that return one on first use; `nulls` maps names of numeric columns to bool masks
    (True where the value is null)."""

    __slots__ = ("_columns", "_masks", "_null_masks", "_length")

    def __init__(self, columns: Mapping[str, Column | Callable[[], Column]],
                 nulls: Mapping[str, np.ndarray] | None = None, length: int | None = None):
        self._columns = dict(columns)
        self._masks = dict(nulls or {})
        self._null_masks: dict[str, np.ndarray] | None = None
        if length is None:
            eager = [c for c in self._columns.values() if not callable(c)]
            length = len(eager[0]) if eager else 0
        self._length = length
        for name, column in self._columns.items():
            if not callable(column) and len(column) != length:
                raise ValueError(f"column {name!r} has {len(column)} values, not {length}")

    @property
    def _nulls(self) -> dict[str, np.ndarray]:
        """The masks of the columns that have a null, found when first asked for (a table is
        often made and dropped unread, as when balancing needs a few of its columns)."""
        if self._null_masks is None:
            self._null_masks = {name: mask for name, mask in self._masks.items() if mask.any()}
        return self._null_masks

    # --- reading ---------------------------------------------------------------------------
    @property
    def column_names(self) -> list[str]:
        return list(self._columns)

    def __len__(self) -> int:
        return self._length

    def __contains__(self, name: str) -> bool:
        return name in self._columns

    def raw(self, name: str) -> Column:
        """The column as stored: a numpy array or a `StringColumn` (computed now if lazy)."""
        column = self._columns[name]
        if callable(column):
            column = self._columns[name] = column()
        return column

    def column(self, name: str) -> np.ndarray:
        """The column as a numpy array: text as an object array of str (see `nulls`)."""
        column = self.raw(name)
        return column.to_numpy() if isinstance(column, StringColumn) else column

    def nulls(self, name: str) -> np.ndarray:
        """A bool array, True where the column's value is missing (NaT for dates)."""
        column = self.raw(name)
        if name in self._nulls:
            return self._nulls[name]
        if isinstance(column, np.ndarray) and column.dtype.kind == "M":
            return np.isnat(column)
        return np.zeros(len(self), dtype=bool)

    def _values(self, name: str) -> list:
        """The column as Python values: int, str, datetime.date, None for nulls."""
        column = self.raw(name)
        if isinstance(column, StringColumn):
            return column.to_numpy().tolist()
        values = column.astype(object) if column.dtype.kind == "M" else column
        values = values.tolist()
        if name in self._nulls:
            for r in np.flatnonzero(self._nulls[name]).tolist():
                values[r] = None
        return values

    def __getitem__(self, r: int) -> dict:
        """Row r as a dict of Python values (None where null)."""
        if not -len(self) <= r < len(self):
            raise IndexError("row index out of range")
        r %= len(self)
        row = {}
        for name in self._columns:
            column = self.raw(name)
            if isinstance(column, StringColumn):
                row[name] = column[r]
            elif name in self._nulls and self._nulls[name][r]:
                row[name] = None
            else:
                value = column[r]
                row[name] = value.astype(object) if column.dtype.kind == "M" else value.item()
        return row

    def rows(self) -> Iterator[dict]:
        """Every row as a dict of Python values, converting each column once."""
        names = self.column_names
        for values in zip(*(self._values(name) for name in names)):
            yield dict(zip(names, values))

    def __repr__(self) -> str:
        return f"<Table {len(self)} rows: {', '.join(self._columns)}>"

    # --- building --------------------------------------------------------------------------
    def with_columns(self, columns: Mapping[str, Column | Callable[[], Column]],
                     nulls: Mapping[str, np.ndarray] | None = None) -> "Table":
        """A table with these columns replaced or added; a replaced column keeps its null mask
        unless `nulls` gives another."""
        return Table({**self._columns, **columns}, {**self._nulls, **(nulls or {})}, self._length)

    @classmethod
    def concat(cls, tables: Sequence["Table"]) -> "Table":
        """The rows of all tables, in order; they must have the same column names."""
        if not tables:
            raise ValueError("nothing to concatenate")
        names = tables[0].column_names
        for table in tables[1:]:
            if table.column_names != names:
                raise ValueError("tables with different columns cannot be concatenated")
        if len(tables) == 1:
            return tables[0]
        columns, nulls = {}, {}
        for name in names:
            parts = [t.raw(name) for t in tables]
            if isinstance(parts[0], StringColumn):
                columns[name] = StringColumn.concat(parts)
            else:
                columns[name] = np.concatenate(parts)
            if any(name in t._nulls for t in tables):
                nulls[name] = np.concatenate([t.nulls(name) for t in tables])
        return cls(columns, nulls, sum(len(t) for t in tables))

    # --- conversions -----------------------------------------------------------------------
    def to_arrow(self):
        """A `pyarrow.Table` (text as large_string, or large_binary when it is not UTF-8;
        dates as date32; nulls as Arrow nulls)."""
        pa = _require("pyarrow", "arrow")
        arrays = []
        for name in self._columns:
            column = self.raw(name)
            if isinstance(column, StringColumn):
                offsets, data = column.offsets_and_data()
                buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data)]
                array = pa.Array.from_buffers(pa.large_string(), len(column), buffers)
                try:
                    array.validate(full=True)
                except pa.ArrowInvalid:  # not UTF-8: keep the bytes
                    array = pa.Array.from_buffers(pa.large_binary(), len(column), buffers)
            elif column.dtype.kind == "M":
                days = column.astype("datetime64[D]").view(np.int64).astype(np.int32)
                array = _arrow_numbers(pa, pa.date32(), days, np.isnat(column))
            else:
                array = _arrow_numbers(pa, pa.from_numpy_dtype(column.dtype), column, self._nulls.get(name))
            arrays.append(array)
        return pa.Table.from_arrays(arrays, names=self.column_names)

    def to_pandas(self):
        """A `pandas.DataFrame` (text as str objects, nullable integers as Int64)."""
        pd = _require("pandas", "pandas")
        data = {}
        for name in self._columns:
            column = self.raw(name)
            if isinstance(column, StringColumn):
                data[name] = column.to_numpy()
            elif name in self._nulls:
                data[name] = pd.arrays.IntegerArray(np.ascontiguousarray(column), self._nulls[name].copy())
            else:
                data[name] = np.ascontiguousarray(column)
        return pd.DataFrame(data, copy=False)

    def to_polars(self):
        """A `polars.DataFrame` (text as String, dates as Date, nulls as nulls)."""
        pl = _require("polars", "polars")
        series = []
        for name in self._columns:
            column = self.raw(name)
            if isinstance(column, StringColumn):
                series.append(pl.Series(name, column.to_numpy(), dtype=pl.String))
            elif name in self._nulls:
                values = pl.Series(name, np.ascontiguousarray(column))
                series.append(values.scatter(np.flatnonzero(self._nulls[name]), None))
            else:
                series.append(pl.Series(name, np.ascontiguousarray(column)))
        return pl.DataFrame(series)

    def write_csv(self, path: str | os.PathLike) -> None:
        """Write the table as CSV with a header line: nulls as empty cells, dates as ISO."""
        names = self.column_names
        columns = [[v.isoformat() if isinstance(v, datetime.date) else v for v in self._values(n)] for n in names]
        with open(path, "w", newline="", encoding=ENCODING, errors=ERRORS) as f:
            writer = csv.writer(f)
            writer.writerow(names)
            writer.writerows(zip(*columns))

    def write_parquet(self, path: str | os.PathLike) -> None:
        """Write the table as Parquet (needs pyarrow)."""
        _require("pyarrow", "arrow")
        import pyarrow.parquet as pq

        pq.write_table(self.to_arrow(), path)


def _arrow_numbers(pa, arrow_type, values: np.ndarray, nulls: np.ndarray | None):
    """An Arrow array over numpy numbers or bools, built from its buffers: `pa.array` would
    import pandas (~50 MB and ~0.3 s in every process that writes Parquet)."""
    data = np.packbits(values, bitorder="little") if values.dtype == bool else np.ascontiguousarray(values)
    validity = None if nulls is None or not nulls.any() else pa.py_buffer(np.packbits(~nulls, bitorder="little"))
    return pa.Array.from_buffers(arrow_type, len(values), [validity, pa.py_buffer(data)])


def _require(module: str, extra: str):
    """Import an optional dependency, or say which extra installs it."""
    try:
        return __import__(module)
    except ImportError:
        raise EdiError(f"this needs {module}: pip install 'edi[{extra}]'") from None
