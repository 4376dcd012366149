"""DynamicBatcher on its own: an injected fake ``execute`` (which can hold the batch thread so
requests pile up deterministically), an injected clock where time matters, and an observer that
records what the batcher reports."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from minitf import errors
from minitf.errors import (DeadlineExceededError, FailedPreconditionError, InternalError,
                           InvalidArgumentError, UnavailableError)
from minitf.serving.batching import BatchingConfig, DynamicBatcher

WAIT = 5.0  # seconds: generous bound for anything that should happen "soon"
OUTPUTS = ("s", "y")


class FakeExecute:
    """Records every batch it runs; ``hold()`` makes the next call block until ``release()``.

    y = 2 * x (per element), s = row sum of x + k: both are per-row, so a caller whose rows were
    mixed up with another caller's gets visibly wrong values.
    """

    def __init__(self, fail_if=None, clock=None, cost=0.0):
        self.clock, self.cost = clock, cost  # a fake clock advanced by ``cost`` per run
        self.calls: list[tuple[list[np.ndarray], tuple]] = []
        self.lock = threading.Lock()
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        self.fail_if = fail_if

    def __call__(self, feeds, outputs):
        with self.lock:
            self.calls.append(([np.array(f, copy=True) for f in feeds], outputs))
        self.entered.set()
        assert self.gate.wait(WAIT * 2), "test never released the batch thread"
        if self.clock is not None:
            self.clock.advance(self.cost)
        if self.fail_if is not None:
            error = self.fail_if(feeds)
            if error is not None:
                raise error
        x, k = feeds
        out = {"y": x * 2, "s": x.reshape(len(x), int(np.prod(x.shape[1:]))).sum(axis=1) + k}
        return {a: out[a] for a in outputs}

    def release(self):
        self.gate.set()

    def rows_per_call(self) -> list[int]:
        with self.lock:
            return [len(feeds[0]) for feeds, _ in self.calls]


class Recorder:
    """The batcher observer protocol: batch(rows, padding), queue_waits([s, ...]),
    executed(size, input_s, s, output_s, requests, rows, queued_s, pieces), watch_queue(depth) and
    unwatch_queue(depth)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.batches: list[tuple[int, int]] = []
        self.waits: list[float] = []
        self.computes: list[float] = []
        self.executions: list[tuple[int, int, float, int]] = []
        self.watched = None  # the batcher's queue_depth while it runs

    def batch(self, rows, padding):
        with self.lock:
            self.batches.append((rows, padding))

    def queue_waits(self, seconds):
        with self.lock:
            self.waits.extend(seconds)

    def executed(self, size, input_seconds, seconds, output_seconds, requests, rows,
                 queued_seconds, pieces):
        with self.lock:
            self.computes.append(seconds)
            self.executions.append((requests, rows, queued_seconds, pieces))

    def watch_queue(self, depth):
        self.watched = depth

    def unwatch_queue(self, depth):  # again on a second stop()
        assert self.watched in (depth, None)
        self.watched = None

    @property
    def depth(self) -> int:  # what the gauge would read
        return self.watched() if self.watched is not None else 0


class FakeClock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def request(tag: int, rows: int, width: int = 3, dtype=np.float32):
    """Inputs [x, k] whose values identify the request (tag) and the row."""
    x = (np.arange(rows * width).reshape(rows, width) + 1000 * tag).astype(dtype)
    k = np.arange(rows, dtype=np.int64) + 100_000 * tag
    return [x, k]


def expected(inputs):
    x, k = inputs
    return {"y": x * 2, "s": x.reshape(len(x), int(np.prod(x.shape[1:]))).sum(axis=1) + k}


def assert_own_rows(result, inputs, outputs=OUTPUTS):
    want = expected(inputs)
    assert sorted(result) == sorted(outputs)
    for alias in outputs:
        assert result[alias].shape == want[alias].shape
        assert result[alias].dtype == want[alias].dtype
        np.testing.assert_array_equal(result[alias], want[alias])


def wait_until(predicate, timeout=WAIT, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.002)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def make_batcher():
    """Builds batchers with a Recorder; at teardown releases them, stops them and checks that
    every request that entered the queue also left it."""
    made = []

    def make(execute, clock=time.monotonic, **config):
        recorder = Recorder()
        config.setdefault("num_batch_threads", 1)
        batcher = DynamicBatcher(execute, BatchingConfig(**config), "test", recorder, clock)
        made.append((batcher, execute, recorder))
        return batcher, recorder

    yield make
    for batcher, execute, recorder in made:
        execute.release()
        batcher.stop(drain=False, timeout=WAIT)
        assert recorder.watched is None  # a stopped batcher is not kept alive by the gauge
        assert batcher.queue_depth() == 0


def hold(batcher, execute):
    """Occupies the (single) batch thread with a 1-row batch; returns that batch's task."""
    execute.gate.clear()
    execute.entered.clear()
    task = batcher.submit(request(99, 1), OUTPUTS)
    assert execute.entered.wait(WAIT)
    return task


# -- merging ---------------------------------------------------------------------------------------
def test_concurrent_requests_are_merged_and_each_caller_gets_its_own_rows(make_batcher):
    execute = FakeExecute()
    batcher, recorder = make_batcher(execute, max_batch_size=32)
    blocker = hold(batcher, execute)
    sizes = [1, 3, 2, 1, 4, 2, 1, 2]
    inputs = [request(i, n) for i, n in enumerate(sizes)]
    with ThreadPoolExecutor(len(sizes)) as pool:
        futures = [pool.submit(batcher.run, inp, OUTPUTS, time.monotonic() + 30)
                   for inp in inputs]
        wait_until(lambda: batcher.queue_depth() == len(sizes), what="all requests queued")
        execute.release()
        results = [f.result(WAIT) for f in futures]
    assert_own_rows(batcher.wait(blocker), request(99, 1))
    for inp, result in zip(inputs, results):
        assert_own_rows(result, inp)
    # The queued requests ran as one batch of all their rows.
    assert execute.rows_per_call() == [1, sum(sizes)]
    assert recorder.batches == [(1, 0), (sum(sizes), 0)]


def test_output_subsets_of_one_batch_are_answered_per_caller(make_batcher):
    execute = FakeExecute()
    batcher, _ = make_batcher(execute, max_batch_size=8)
    hold(batcher, execute)
    a, b = request(1, 2), request(2, 3)
    ta = batcher.submit(a, ("y",))
    tb = batcher.submit(b, ("s",))
    execute.release()
    assert_own_rows(batcher.wait(ta), a, ("y",))
    assert_own_rows(batcher.wait(tb), b, ("s",))
    assert execute.calls[-1][1] == ("s", "y")  # one run computed the union of the outputs


def test_batches_respect_max_batch_size_in_rows(make_batcher):
    execute = FakeExecute()
    batcher, recorder = make_batcher(execute, max_batch_size=8)
    hold(batcher, execute)
    inputs = [request(i, 3) for i in range(6)] + [request(6, 8), request(7, 1)]
    tasks = [batcher.submit(inp, OUTPUTS) for inp in inputs]
    execute.release()
    for inp, task in zip(inputs, tasks):
        assert_own_rows(batcher.wait(task), inp)
    rows = execute.rows_per_call()[1:]
    assert all(1 <= r <= 8 for r in rows), rows
    assert sum(rows) == 3 * 6 + 8 + 1
    assert max(rows) == 8  # the 8-row request fills a batch on its own
    assert any(r > 3 for r in rows)  # and small requests were merged (3 + 3)
    assert [r for r, _ in recorder.batches[1:]] == rows


# -- timeout ---------------------------------------------------------------------------------------
def test_lone_request_waits_for_company_until_the_timeout(make_batcher):
    clock = FakeClock()
    execute = FakeExecute()
    batcher, _ = make_batcher(execute, clock=clock, max_batch_size=8,
                              batch_timeout_micros=50_000)
    first = request(1, 1)
    t1 = batcher.submit(first, OUTPUTS)
    # Several real timeouts pass, but on the batcher's clock no time has: it keeps waiting.
    time.sleep(0.15)
    assert not t1.done.is_set() and execute.calls == []
    second = request(2, 2)
    t2 = batcher.submit(second, OUTPUTS)
    clock.advance(0.049)
    time.sleep(0.06)
    assert not t1.done.is_set() and execute.calls == []
    clock.advance(0.002)  # the oldest request has now waited the full 50 ms
    assert_own_rows(batcher.wait(t1), first)
    assert_own_rows(batcher.wait(t2), second)
    assert execute.rows_per_call() == [3]  # the under-full batch ran, with both requests


def test_a_full_batch_does_not_wait_for_the_timeout(make_batcher):
    clock = FakeClock()  # never advanced: only a full batch can run
    execute = FakeExecute()
    batcher, _ = make_batcher(execute, clock=clock, max_batch_size=4,
                              batch_timeout_micros=10_000_000)
    parts = [request(1, 1), request(2, 3)]
    tasks = [batcher.submit(p, OUTPUTS) for p in parts]
    for p, t in zip(parts, tasks):
        assert_own_rows(batcher.wait(t), p)
    assert execute.rows_per_call() == [4]


def test_lone_request_completes_with_a_real_clock(make_batcher):
    execute = FakeExecute()
    batcher, recorder = make_batcher(execute, max_batch_size=64, batch_timeout_micros=20_000)
    inp = request(1, 2)
    start = time.monotonic()
    assert_own_rows(batcher.run(inp, OUTPUTS), inp)
    assert time.monotonic() - start < WAIT  # it did not wait for a full batch
    assert execute.rows_per_call() == [2]
    [waited] = recorder.waits
    assert waited >= 0.02 - 1e-3  # it did wait for the timeout first


# -- padding and splitting -------------------------------------------------------------------------
@pytest.mark.parametrize("rows, padded", [(0, 0), (1, 2), (2, 2), (3, 4), (4, 4), (5, 8),
                                          (8, 8)])
def test_padding_to_allowed_batch_sizes(make_batcher, rows, padded):
    execute = FakeExecute()
    batcher, recorder = make_batcher(execute, max_batch_size=8, allowed_batch_sizes=[2, 4, 8])
    inp = request(1, rows)
    assert_own_rows(batcher.run(inp, OUTPUTS), inp)
    [(feeds, _)] = execute.calls
    assert len(feeds[0]) == len(feeds[1]) == padded
    np.testing.assert_array_equal(feeds[0][:rows], inp[0])
    # Padding repeats the first row.
    for pad in range(rows, padded):
        np.testing.assert_array_equal(feeds[0][pad], inp[0][0])
        assert feeds[1][pad] == inp[1][0]
    assert recorder.batches == [(padded, padded - rows)]


def test_merged_batch_is_padded_and_sliced_back_per_caller(make_batcher):
    execute = FakeExecute()
    batcher, recorder = make_batcher(execute, max_batch_size=8, allowed_batch_sizes=[4, 8])
    hold(batcher, execute)
    inputs = [request(1, 2), request(2, 3)]
    tasks = [batcher.submit(inp, OUTPUTS) for inp in inputs]
    execute.release()
    for inp, t in zip(inputs, tasks):
        assert_own_rows(batcher.wait(t), inp)
    assert execute.rows_per_call() == [4, 8]  # 1 -> 4; 2 + 3 -> 8
    assert recorder.batches == [(4, 3), (8, 3)]


@pytest.mark.parametrize("threads", [1, 2])
def test_large_request_is_split_across_batches_and_reassembled_in_order(make_batcher, threads):
    execute = FakeExecute()
    batcher, recorder = make_batcher(execute, max_batch_size=4, allowed_batch_sizes=[2, 4],
                                     num_batch_threads=threads)
    inp = request(1, 11)
    assert_own_rows(batcher.run(inp, OUTPUTS), inp)
    assert sorted(execute.rows_per_call()) == [4, 4, 4]  # 4 + 4 + 3 (padded to 4)
    assert sorted(recorder.batches) == [(4, 0), (4, 0), (4, 1)]
    executed = np.concatenate([feeds[0] for feeds, _ in execute.calls])
    # Every row ran exactly once (plus one pad copy of the last piece's first row).
    assert sorted(map(tuple, executed.tolist())) == sorted(
        map(tuple, inp[0].tolist() + [inp[0][8].tolist()]))


def test_split_pieces_share_batches_with_other_requests(make_batcher):
    execute = FakeExecute()
    batcher, _ = make_batcher(execute, max_batch_size=4)
    hold(batcher, execute)
    small, big, tail = request(1, 1), request(2, 6), request(3, 2)
    tasks = [batcher.submit(inp, OUTPUTS) for inp in (small, big, tail)]
    execute.release()
    for inp, t in zip((small, big, tail), tasks):
        assert_own_rows(batcher.wait(t), inp)
    # small(1) + big[0:4] does not fit in 4 -> [1], [4], then big[4:6](2) + tail(2) -> [4].
    assert execute.rows_per_call()[1:] == [1, 4, 4]


def test_large_request_is_rejected_when_splitting_is_off(make_batcher):
    execute = FakeExecute()
    batcher, recorder = make_batcher(execute, max_batch_size=4,
                                     enable_large_batch_splitting=False)
    with pytest.raises(InvalidArgumentError) as info:
        batcher.submit(request(1, 11), OUTPUTS)
    assert info.value.error_code == errors.INVALID_ARGUMENT
    assert "Task size 11 is larger than maximum input batch size 4" in info.value.message
    assert execute.calls == [] and recorder.depth == 0
    inp = request(2, 4)  # exactly max_batch_size is fine
    assert_own_rows(batcher.run(inp, OUTPUTS), inp)


# -- queue bound, deadlines, errors ----------------------------------------------------------------
def test_full_queue_answers_unavailable_with_the_reason(make_batcher):
    execute = FakeExecute()
    batcher, _ = make_batcher(execute, max_batch_size=4, max_enqueued_batches=2)
    hold(batcher, execute)
    accepted = [request(1, 4), request(2, 3), request(3, 1)]  # 8 rows = 2 batches of 4
    tasks = [batcher.submit(inp, OUTPUTS) for inp in accepted]
    with pytest.raises(UnavailableError) as info:
        batcher.submit(request(4, 1), OUTPUTS)
    assert info.value.error_code == errors.UNAVAILABLE
    assert "The batch scheduling queue to which this task was submitted is full" in \
        info.value.message
    assert "2 batches of 4 rows" in info.value.message
    assert batcher.queue_depth() == 3
    execute.release()
    for inp, t in zip(accepted, tasks):
        assert_own_rows(batcher.wait(t), inp)
    later = request(5, 4)  # room again once the queue drained
    assert_own_rows(batcher.run(later, OUTPUTS), later)


def test_expired_request_is_dropped_before_execution(make_batcher):
    clock = FakeClock()
    execute = FakeExecute()
    batcher, recorder = make_batcher(execute, clock=clock, max_batch_size=8)
    hold(batcher, execute)
    doomed, fine = request(1, 2), request(2, 2)
    t_doomed = batcher.submit(doomed, OUTPUTS, deadline=clock() + 1.0)
    t_fine = batcher.submit(fine, OUTPUTS, deadline=clock() + 60.0)
    clock.advance(2.0)
    execute.release()
    assert t_doomed.done.wait(WAIT)
    with pytest.raises(DeadlineExceededError) as info:
        batcher.wait(t_doomed)
    assert info.value.error_code == errors.DEADLINE_EXCEEDED
    assert "Deadline exceeded" in info.value.message
    assert_own_rows(batcher.wait(t_fine), fine)
    executed = np.concatenate([feeds[1] for feeds, _ in execute.calls])
    assert not np.isin(doomed[1], executed).any()  # its rows never reached execute
    assert execute.rows_per_call() == [1, 2]
    assert len(recorder.waits) == 2  # queue wait recorded only for executed requests


def test_caller_whose_deadline_passes_while_queued_gets_deadline_exceeded(make_batcher):
    execute = FakeExecute()
    batcher, _ = make_batcher(execute, max_batch_size=8)
    hold(batcher, execute)
    doomed = request(1, 2)
    with pytest.raises(DeadlineExceededError):
        batcher.run(doomed, OUTPUTS, deadline=time.monotonic() + 0.05)
    fine = request(2, 1)
    t_fine = batcher.submit(fine, OUTPUTS)
    execute.release()
    assert_own_rows(batcher.wait(t_fine), fine)
    executed = np.concatenate([feeds[1] for feeds, _ in execute.calls])
    assert not np.isin(doomed[1], executed).any()  # abandoned, so never executed


def test_error_in_execute_fails_the_whole_batch_and_the_next_batch_succeeds(make_batcher):
    boom = InternalError(None, None, "kernel exploded")
    execute = FakeExecute(fail_if=lambda feeds: boom if (feeds[1] == 100_000).any() else None)
    batcher, _ = make_batcher(execute, max_batch_size=8)
    hold(batcher, execute)
    tasks = [batcher.submit(request(i, 2), OUTPUTS) for i in (1, 2, 3)]  # 1 has the trigger
    execute.release()
    for t in tasks:
        with pytest.raises(InternalError) as info:
            batcher.wait(t)
        assert info.value is boom
    assert execute.rows_per_call() == [1, 6]
    after = request(4, 3)
    assert_own_rows(batcher.run(after, OUTPUTS), after)


def test_non_op_errors_become_internal_for_every_request(make_batcher):
    """Not the model's error (the plan raises OpErrors): a bug of ours, INTERNAL as unbatched."""
    execute = FakeExecute(fail_if=lambda feeds: ValueError("bad values in the batch"))
    batcher, _ = make_batcher(execute, max_batch_size=8)
    hold(batcher, execute)
    tasks = [batcher.submit(request(i, 1), OUTPUTS) for i in (1, 2)]
    execute.release()
    for t in tasks:
        with pytest.raises(InternalError, match="ValueError: bad values in the batch"):
            batcher.wait(t)


def test_output_without_batch_dimension_fails_the_batch(make_batcher):
    class ScalarOutput(FakeExecute):
        def __call__(self, feeds, outputs):
            return {"y": np.float32(1)}

    batcher, _ = make_batcher(ScalarOutput(), max_batch_size=8)
    with pytest.raises(FailedPreconditionError, match="does not have the batch as its first"):
        batcher.run(request(1, 2), ("y",))


def test_split_pieces_that_do_not_concatenate_fail_the_request_not_the_thread(make_batcher):
    """An output whose second dim depends on the batch (x @ x.T): the pieces of a split request
    cannot be merged. That request fails with the reason; the batch thread lives on."""
    class Gram(FakeExecute):
        def __call__(self, feeds, outputs):
            return {"y": feeds[0] @ feeds[0].T}

    batcher, _ = make_batcher(Gram(), max_batch_size=2)
    with pytest.raises(FailedPreconditionError, match="do not concatenate"):
        batcher.run(request(1, 3), ("y",), deadline=time.monotonic() + WAIT)
    x = request(2, 2)[0]
    out = batcher.run([x, np.zeros(2, np.int64)], ("y",), deadline=time.monotonic() + WAIT)
    np.testing.assert_array_equal(out["y"], x @ x.T)


def test_a_failure_while_handing_out_results_keeps_the_thread_alive(make_batcher):
    """A bug after execute (here: the requested output is missing from the result) fails that
    batch's requests with INTERNAL; the next batch runs on the same thread."""
    class Forgetful(FakeExecute):
        def __call__(self, feeds, outputs):
            out = super().__call__(feeds, outputs)
            return {k: v for k, v in out.items() if k != "s"} if feeds[1][0] == 100_000 else out

    batcher, _ = make_batcher(Forgetful(), max_batch_size=8)
    with pytest.raises(InternalError, match="batch failed: KeyError"):
        batcher.run(request(1, 1), OUTPUTS, deadline=time.monotonic() + WAIT)
    fine = request(2, 1)
    assert_own_rows(batcher.run(fine, OUTPUTS, deadline=time.monotonic() + WAIT), fine)


def test_async_deadline_is_enforced_only_when_asked(make_batcher):
    """run_async stops waiting at a deadline of the request's own (KServe's timeout); gRPC's
    own deadline cancels the handler itself, so with enforce_deadline=False no timer runs and
    the caller waits until it is cancelled, which withdraws its rows."""
    execute = FakeExecute()
    batcher, _ = make_batcher(execute, max_batch_size=4)
    hold(batcher, execute)

    async def scenario():
        soon = time.monotonic() + 0.05
        with pytest.raises(DeadlineExceededError):
            await batcher.run_async(request(1, 1), OUTPUTS, soon)
        left = asyncio.ensure_future(batcher.run_async(request(2, 1), OUTPUTS, soon,
                                                       enforce_deadline=False))
        await asyncio.sleep(0.3)  # well past its deadline: still waiting, not failed
        assert not left.done() and batcher.queue_depth() == 1
        left.cancel()
        with pytest.raises(asyncio.CancelledError):
            await left

    asyncio.run(scenario())
    assert batcher.queue_depth() == 0
    execute.release()


def test_cancelled_async_caller_is_withdrawn_from_the_queue(make_batcher):
    """A client that goes away (its handler cancelled) frees its queue space at once, and its
    rows never run: all pieces of a split request included."""
    execute = FakeExecute()
    batcher, recorder = make_batcher(execute, max_batch_size=4, max_enqueued_batches=2)
    hold(batcher, execute)
    gone = request(1, 6)  # split into pieces of 4 and 2 rows: 6 of the queue's 8

    async def scenario():
        task = asyncio.ensure_future(batcher.run_async(gone, OUTPUTS))
        for _ in range(500):
            if batcher.queue_depth():
                break
            await asyncio.sleep(0.002)
        assert batcher.queue_depth() == 2
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert batcher.queue_depth() == 0 and recorder.depth == 0
    fits = request(2, 8)  # the whole queue again: accepted only if the 6 rows were freed
    t = batcher.submit(fits, OUTPUTS)
    execute.release()
    assert_own_rows(batcher.wait(t), fits)
    executed = np.concatenate([feeds[1] for feeds, _ in execute.calls])
    assert not np.isin(gone[1], executed).any()


def test_a_closed_event_loop_does_not_kill_the_batch_thread(make_batcher):
    """An asyncio caller whose loop closed while its batch ran: the batch thread cannot wake
    that loop, and must still answer the other callers of the batch and run later batches."""
    execute = FakeExecute()
    batcher, _ = make_batcher(execute, max_batch_size=8)
    hold(batcher, execute)
    loop = asyncio.new_event_loop()
    orphan = loop.create_task(batcher.run_async(request(1, 1), OUTPUTS))
    loop.run_until_complete(asyncio.sleep(0.01))  # the orphan is queued now
    assert batcher.queue_depth() == 1
    loop.close()
    sibling = request(2, 1)
    t = batcher.submit(sibling, OUTPUTS, deadline=time.monotonic() + WAIT)
    execute.release()
    assert_own_rows(batcher.wait(t), sibling)
    later = request(3, 2)
    assert_own_rows(batcher.run(later, OUTPUTS, deadline=time.monotonic() + WAIT), later)
    del orphan


def test_requests_with_different_trailing_shapes_or_dtypes_are_not_mixed(make_batcher):
    execute = FakeExecute()
    batcher, _ = make_batcher(execute, max_batch_size=16)
    hold(batcher, execute)
    inputs = [request(1, 2, width=3), request(2, 1, width=5), request(3, 1, width=3),
              request(4, 2, width=3, dtype=np.float64), request(5, 1, width=3),
              request(6, 2, width=5)]
    tasks = [batcher.submit(inp, OUTPUTS) for inp in inputs]
    execute.release()
    for inp, t in zip(inputs, tasks):
        assert_own_rows(batcher.wait(t), inp)
    kinds = {i + 1: (inp[0].dtype, inp[0].shape[1:]) for i, inp in enumerate(inputs)}
    for feeds, _ in execute.calls[1:]:
        tags = set((feeds[1] // 100_000).tolist())
        assert len({kinds[t] for t in tags}) == 1, f"mixed requests {tags} in one batch"
    assert sum(execute.rows_per_call()[1:]) == 9


# -- stopping --------------------------------------------------------------------------------------
def test_stop_with_drain_runs_the_queued_requests(make_batcher):
    execute = FakeExecute()
    batcher, _ = make_batcher(execute, max_batch_size=4)
    blocker = hold(batcher, execute)
    inputs = [request(1, 2), request(2, 3), request(3, 4)]
    tasks = [batcher.submit(inp, OUTPUTS) for inp in inputs]
    stopper = threading.Thread(target=batcher.stop, kwargs={"drain": True, "timeout": WAIT})
    stopper.start()
    wait_until(lambda: batcher._stopping, what="stop() to begin")
    with pytest.raises(UnavailableError, match="shutting down"):
        batcher.submit(request(4, 1), OUTPUTS)  # no new work once stopping
    execute.release()
    stopper.join(WAIT)
    assert not stopper.is_alive()
    assert_own_rows(batcher.wait(blocker), request(99, 1))
    for inp, t in zip(inputs, tasks):
        assert_own_rows(batcher.wait(t), inp)


def test_stop_without_drain_fails_the_queued_requests(make_batcher):
    execute = FakeExecute()
    batcher, recorder = make_batcher(execute, max_batch_size=4)
    blocker = hold(batcher, execute)
    tasks = [batcher.submit(request(i, 2), OUTPUTS) for i in (1, 2)]
    stopper = threading.Thread(target=batcher.stop, kwargs={"drain": False, "timeout": WAIT})
    stopper.start()
    # The queued requests fail at once, while the running batch is still held.
    for t in tasks:
        assert t.done.wait(WAIT)
        with pytest.raises(UnavailableError, match="shutting down") as info:
            batcher.wait(t)
        assert info.value.error_code == errors.UNAVAILABLE
    assert recorder.depth == 0
    execute.release()
    stopper.join(WAIT)
    assert not stopper.is_alive()
    assert_own_rows(batcher.wait(blocker), request(99, 1))  # the running batch finished
    assert execute.rows_per_call() == [1]


# -- observer --------------------------------------------------------------------------------------
def test_observer_reports_balance_out(make_batcher):
    clock = FakeClock()
    execute = FakeExecute(clock=clock, cost=0.01)  # every run takes 10 ms of fake time
    batcher, recorder = make_batcher(execute, clock=clock, max_batch_size=4,
                                     allowed_batch_sizes=[2, 4])
    hold(batcher, execute)
    clock.advance(0.5)
    t_small = batcher.submit(request(1, 1), OUTPUTS)
    t_big = batcher.submit(request(2, 6), OUTPUTS)  # split into 4 + 2
    t_late = batcher.submit(request(3, 1), OUTPUTS, deadline=clock() + 0.1)
    assert recorder.depth == 4 and batcher.queue_depth() == 4  # small, two pieces, late
    clock.advance(0.25)
    execute.release()
    assert_own_rows(batcher.wait(t_small), request(1, 1))
    assert_own_rows(batcher.wait(t_big), request(2, 6))
    with pytest.raises(DeadlineExceededError):
        batcher.wait(t_late)
    wait_until(lambda: recorder.depth == 0, what="queue depth back to 0")
    # blocker 1 -> 2 (pad 1); small 1 -> 2 (pad 1); pieces 4 and 2.
    assert recorder.batches == [(2, 1), (2, 1), (4, 0), (2, 0)]
    assert execute.rows_per_call() == [b for b, _ in recorder.batches]
    # One wait per executed piece, measured on the injected clock: 0 for the blocker; the
    # others were queued 0.25 s before the blocker's run ended and each waited for the runs
    # before theirs.
    assert recorder.waits == pytest.approx([0.0, 0.26, 0.27, 0.28])
    # One compute time per executed batch; the blocker's run spans the time it was held.
    assert recorder.computes == pytest.approx([0.76, 0.01, 0.01, 0.01])
    # Per execution: the requests it began (a split request counts in the batch of its first
    # piece only), real rows (no padding), the queue waits of those requests summed, and the
    # pieces it ran (each charged the batch's compute time).
    assert [(n, r, p) for n, r, _, p in recorder.executions] == [(1, 1, 1), (1, 1, 1),
                                                                 (1, 4, 1), (0, 2, 1)]
    assert [q for _, _, q, _ in recorder.executions] == pytest.approx([0.0, 0.26, 0.27, 0.0])


# -- configuration ---------------------------------------------------------------------------------
@pytest.mark.parametrize("params, message", [
    ({"max_batch_size": 4, "allowed_batch_sizes": [4, 2]}, "must be increasing"),
    ({"max_batch_size": 4, "allowed_batch_sizes": [2, 2, 4]}, "must be increasing"),
    ({"max_batch_size": 4, "allowed_batch_sizes": [0, 4]}, "positive"),
    ({"max_batch_size": 8, "allowed_batch_sizes": [2, 4]},
     r"last entry in allowed_batch_sizes must match max_batch_size \(4 != 8\)"),
    ({"max_batch_size": 0}, "max_batch_size must be >= 1"),
    ({"max_enqueued_batches": 0}, "max_enqueued_batches must be >= 1"),
    ({"num_batch_threads": 0}, "num_batch_threads must be >= 1"),
    ({"batch_timeout_micros": -1}, "batch_timeout_micros must be >= 0"),
    # JSON values of the wrong type are named, not coerced ("no" is not false)
    ({"max_batch_size": "8"}, "max_batch_size must be an integer, got '8'"),
    ({"num_batch_threads": 2.5}, "num_batch_threads must be an integer"),
    ({"batch_timeout_micros": True}, "batch_timeout_micros must be an integer"),
    ({"enabled": "no"}, "enabled must be true or false"),
    ({"allowed_batch_sizes": "4,8"}, "allowed_batch_sizes must be a list of integers"),
    ({"max_batch_size": 8, "allowed_batch_sizes": [4, "8"]},
     "allowed_batch_sizes must be a list of integers"),
])
def test_config_validation(params, message):
    with pytest.raises(ValueError, match=message):
        BatchingConfig(**params)


def test_config_from_dict():
    cfg = BatchingConfig.from_dict({"max_batch_size": 8, "allowed_batch_sizes": [2, 8]})
    assert cfg.max_batch_size == 8 and cfg.allowed_batch_sizes == (2, 8)
    with pytest.raises(ValueError, match=r"unknown parameters \['max_batch'\]"):
        BatchingConfig.from_dict({"max_batch": 8})


def test_inputs_must_share_a_batch_dimension(make_batcher):
    batcher, _ = make_batcher(FakeExecute(), max_batch_size=8)
    with pytest.raises(InvalidArgumentError, match="same size in dimension 0"):
        batcher.submit([np.zeros((2, 3), np.float32), np.zeros(3, np.int64)], OUTPUTS)
    with pytest.raises(InvalidArgumentError, match="batch dimension"):
        batcher.submit([np.float32(1), np.zeros(1, np.int64)], OUTPUTS)


def test_a_request_larger_than_the_whole_queue_is_invalid():
    from minitf.serving.batching import BatchingConfig, DynamicBatcher

    batcher = DynamicBatcher(lambda feeds, outs: {"y": feeds[0]},
                             BatchingConfig(max_batch_size=4, max_enqueued_batches=2))
    try:
        with pytest.raises(InvalidArgumentError,
                           match="Task size 9 is larger than the whole batch queue"):
            batcher.submit([np.zeros((9, 2), np.float32)], ("y",))
        out = batcher.run([np.ones((8, 2), np.float32)], ("y",))  # exactly fits: accepted
        assert out["y"].shape == (8, 2)
    finally:
        batcher.stop()
