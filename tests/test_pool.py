"""The pool of large output buffers behind the native kernels (`edi._fast._pool`): freed blocks
are handed out again, within the pool's limit, and arrays over them behave as numpy's own."""
from __future__ import annotations

import gc
import io

import numpy as np
import pytest

import edi
from edi.remittance.tables import extract
from edi.tokenizer import DEFAULT_LIMITS, scan_buffer

pool = pytest.importorskip("edi._fast._pool", reason="the Cython extension is not built")

MB = 1 << 20
MIN_POOLED, LIMIT = pool.limits()


@pytest.fixture(autouse=True)
def native_only(backend):
    """The pool serves the native kernels; the twins allocate with numpy."""
    if backend == "python":
        pytest.skip("the pool serves the native kernels only")
    gc.collect()  # documents of earlier tests, which hold blocks until their cycles are collected
    pool.release()
    yield
    gc.collect()
    pool.release()


def address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def test_a_freed_block_is_handed_out_again_for_a_request_it_fits():
    first = pool.empty((3 * MB,), np.uint8)
    first[:] = 7
    at = address(first)
    del first
    assert pool.kept() == (1, 3 * MB)
    again = pool.empty((3 * MB - 100,), np.uint8)  # smaller, but not under half
    assert address(again) == at
    assert pool.kept() == (0, 0)
    larger = pool.empty((4 * MB,), np.uint8)
    assert address(larger) != at


def test_a_block_more_than_twice_the_request_is_not_used_for_it():
    big = pool.empty((8 * MB,), np.uint8)
    at = address(big)
    del big
    small = pool.empty((3 * MB,), np.uint8)
    assert address(small) != at
    assert pool.kept() == (1, 8 * MB)


def test_small_blocks_go_back_to_malloc():
    small = pool.empty((MIN_POOLED // 2,), np.uint8)
    del small
    assert pool.kept() == (0, 0)


def test_the_pool_keeps_no_more_than_its_limit_oldest_let_go_first():
    size = LIMIT // 3
    arrays = [pool.empty((size,), np.uint8) for _ in range(4)]
    addresses = [address(a) for a in arrays]
    while arrays:
        del arrays[0]  # freed in the order they were made
    blocks, kept = pool.kept()
    assert (blocks, kept) == (3, 3 * size)
    reused = [pool.empty((size,), np.uint8) for _ in range(3)]
    assert sorted(address(a) for a in reused) == sorted(addresses[1:])  # the first was let go


def test_fortran_arrays_and_views_hold_their_block():
    table = pool.empty((MB, 3), np.int64, True)
    assert table.flags.f_contiguous and table.dtype == np.int64 and table.shape == (MB, 3)
    table[:, 1] = np.arange(MB)
    column = table[:10, 1]
    del table
    assert pool.kept() == (0, 0)  # the view keeps the block
    assert column.tolist() == list(range(10))
    del column
    assert pool.kept()[0] == 1


def test_the_index_and_tables_of_a_large_file_reuse_the_same_memory():
    """Reading a file again after the first one is freed takes the first one's blocks."""
    data = remittance_of_size(17 * MB)
    doc = edi.read(data)
    tables = extract(doc)
    first = {address(doc.index.seg_start), address(tables["service_lines"].raw("paid_cents"))}
    expected = tables["service_lines"].raw("paid_cents").sum()
    del doc, tables
    gc.collect()  # a document's transactions and groups refer to each other
    assert pool.kept()[0] >= 5
    doc = edi.read(data)
    tables = extract(doc)
    again = {address(doc.index.seg_start), address(tables["service_lines"].raw("paid_cents"))}
    assert first == again
    assert tables["service_lines"].raw("paid_cents").sum() == expected
    del doc, tables
    gc.collect()
    assert pool.kept()[0] >= 5
    edi.release_memory()
    assert pool.kept() == (0, 0)


@pytest.mark.parametrize("final", [False, True])
def test_only_a_whole_buffer_indexes_into_pooled_memory(final):
    """A stream's windows (not final) take malloc's memory, which recycles them better."""
    scan, index = scan_buffer(remittance_of_size(4 * MB), False, DEFAULT_LIMITS, final=final)
    assert index.seg_start.nbytes > MIN_POOLED
    del scan, index
    gc.collect()
    assert pool.kept()[0] == (5 if final else 0)


def remittance_of_size(size: int) -> bytes:
    """A valid 835 interchange of at least `size` bytes: one claim with one line, repeated."""
    head = (b"ISA*00*          *00*          *ZZ*PAYER          *ZZ*PROVIDER       *230101*1253*^*00501"
            b"*000000001*0*P*:~GS*HP*PAYER*PROVIDER*20230101*1253*1*X*005010X221A1~ST*835*0001~"
            b"BPR*I*0*C*CHK************20230105~TRN*1*12345*1512345678~N1*PR*PAYER~N1*PE*CLINIC*XX*1234567893~")
    claim = b"CLP*PCN1*1*100*80*20*12*CLAIM1~SVC*HC:99213*100*80~DTM*472*20230102~CAS*CO*45*20~REF*6R*L1~"
    count = size // len(claim) + 1
    body = head + claim * count
    segments = body.count(b"~") - 2 + 1  # ST..SE: all but the ISA and GS, and the SE
    return body + b"SE*%d*0001~GE*1*1~IEA*1*000000001~" % segments


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("size", [300 * 1024, 600 * 1024, 5 * MB])  # f.read(), halves, huge pages
def test_read_bytes_gives_what_read_gives(tmp_path, size, threads):
    data = remittance_of_size(size)
    path = tmp_path / "large.835"
    path.write_bytes(data)
    with open(path, "rb") as f:
        assert pool.read_bytes(f, threads) == data
    with open(path, "rb") as f:
        f.seek(1000)
        assert pool.read_bytes(f, threads) == data[1000:]
        assert f.read() == b""  # read to the end, as f.read() leaves it
    with open(path, "rb", buffering=0) as f:
        assert pool.read_bytes(f, threads) == data
    assert pool.read_bytes(io.BytesIO(data)) == data  # no file number: plain read
    assert edi.read_file(path).index.buf == data


def test_dropped_documents_are_collected_before_fresh_pages_are_asked_for():
    """A Document's envelope tree refers to itself, so only the cycle collector frees a dropped
    one whose tree was built; with Python's own collections put off, the pool's bring its
    buffers back (unless the program turned collection off). A document whose tree was never
    built has no cycle: it goes as soon as it is dropped."""
    data = remittance_of_size(17 * MB)  # its index is 30 MB of pooled blocks
    thresholds = gc.get_threshold()
    gc.set_threshold(10**9)
    try:
        for _ in range(12):
            edi.read(data).transactions
        in_memory = sum(isinstance(o, edi.SegmentIndex) for o in gc.get_objects())
        gc.disable()
        for _ in range(6):
            edi.read(data).transactions
        left_alone = sum(isinstance(o, edi.SegmentIndex) for o in gc.get_objects())
        gc.collect()
        for _ in range(6):
            edi.read(data)
        never_built = sum(isinstance(o, edi.SegmentIndex) for o in gc.get_objects())
    finally:
        gc.enable()
        gc.set_threshold(*thresholds)
    assert in_memory <= 6  # a collection at least once per LIMIT / 2 (128 MB) handed out
    assert left_alone >= 6
    assert never_built == 0


def test_collections_back_off_while_every_document_is_in_use():
    """Collections that return nothing (the program holds its documents) come ever less often."""
    data = remittance_of_size(17 * MB)  # 30 MB of pooled index each
    collections = []
    count = lambda phase, info: collections.append(info["generation"]) if phase == "start" else None  # noqa: E731
    thresholds = gc.get_threshold()
    gc.set_threshold(10**9)
    gc.callbacks.append(count)
    try:
        held = [edi.read(data) for _ in range(16)]  # 480 MB: at 128 MB, then 256 MB more
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*thresholds)
    assert len(held) == 16 and collections == [2, 2]
