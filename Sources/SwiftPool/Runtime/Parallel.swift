// Parallel loops over the natural outer dimension of a pooling call.
//
// One process-wide pool of worker threads is shared by every calling thread: a
// call runs its chunks on its own thread and offers them to up to (threads - 1)
// workers, which join only if they are idle. Several host threads calling at once
// therefore share the workers instead of each starting their own (no
// oversubscription), and a call never waits for a worker to become free: its own
// thread takes whatever chunks are left. Each output element is computed by
// exactly one chunk with the same code whichever thread runs it, so results are
// bitwise identical for every thread count.
//
// The call path allocates nothing: the loop body stays on the caller's stack (its
// words are handed to the workers, see JobBody) and a job slot is preallocated.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import SwiftPoolKernelABI
import _SwiftPoolCPU

enum Parallel {
    /// Work (in element-taps) below which a call stays on the calling thread: waking
    /// a worker costs tens of microseconds, about this much work.
    static let minParallelWork = 1 << 17
    /// Work per chunk, so late-joining helpers still find chunks to take.
    static let minChunkWork = 1 << 15

    /// Number of chunks to cut `units` units of `unitWork` each into, for `threads`.
    static func chunkCount(units: Int, unitWork: Int, threads: Int) -> Int {
        guard threads > 1, units > 1 else { return 1 }
        let (total, overflow) = units.multipliedReportingOverflow(by: Swift.max(unitWork, 1))
        if !overflow && total < minParallelWork { return 1 }
        let byWork = overflow ? units : total / minChunkWork
        return Swift.max(1, Swift.min(units, threads &* 4, byWork))
    }

    /// Runs `body` on consecutive ranges that partition 0..<units, using up to
    /// `threads` threads (the caller's included).
    /// `lastFirst` hands out the last chunk first (chunk order only; `body` still
    /// gets ascending ranges): for a pass that follows one over the same data, whose
    /// most recently read end is still in the cache.
    static func forEachRange(units: Int, unitWork: Int, threads: Int, lastFirst: Bool = false,
                             _ body: (Range<Int>) -> Void) {
        let chunks = chunkCount(units: units, unitWork: unitWork, threads: threads)
        if chunks <= 1 {
            if units > 0 { body(0..<units) }
            return
        }
        let pool = WorkerPool.shared
        if pool.forkedChild {
            body(0..<units)
            return
        }
        pool.run(chunks: chunks, helpers: Swift.min(threads &- 1, chunks &- 1)) { claimed in
            // Balanced split: chunk c covers [c*units/chunks, (c+1)*units/chunks).
            let chunk = lastFirst ? chunks &- 1 &- claimed : claimed
            let lower = chunk &* units / chunks, upper = (chunk &+ 1) &* units / chunks
            if lower < upper { body(lower..<upper) }
        }
    }
}

/// A loop body as stored in a JobSlot: the words (function, context) of the
/// caller's non-escaping `(Int) -> Void`, valid while WorkerPool.run is on the
/// stack, called through spcpu_call_int_closure. Storing the closure itself for
/// other threads needs withoutActuallyEscaping, whose escaping wrapper is a heap
/// allocation on every call (see SwiftPoolKernelABI/StackScratch.swift).
typealias JobBody = spcpu_closure_words

/// A parallel loop in flight: its body and the next chunk to claim.
final class JobSlot: @unchecked Sendable {
    /// Next chunk index to run; claimed with an atomic increment.
    let next = Atomic<Int>(0)
    // The fields below are guarded by the pool's lock.
    var chunks = 0
    /// The loop body, a JobBody on the calling thread's stack.
    var body: UnsafeRawPointer?
    /// Helpers that may still join.
    var openSeats = 0
    /// Helpers running chunks now: changed with the pool's lock held, read without
    /// it by the caller spinning for them to leave.
    let inside = Atomic<Int>(0)
    var offered = false
    var busy = false
}

final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()
    /// Hard cap on worker threads, whatever thread counts are requested.
    static let maxWorkers = 63
    /// Parallel calls in flight at once; further concurrent callers run single-threaded.
    static let slotCount = 16

    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Workers wait here for offered jobs.
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Callers wait here for helpers to leave their job.
    private let left = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let slots: [JobSlot]
    // Guarded by `lock`.
    private var workers = 0
    /// Workers past their per-thread setup (spcpu_prepare_thread): startWorkers
    /// waits for each new one, so that setup, which allocates, never runs during a
    /// later call.
    private let prepared = Atomic<Int>(0)
    private var offeredCount = 0
    /// offeredCount, readable without the lock by spinning workers.
    private let pending = Atomic<Int>(0)
    /// How long an idle worker polls for the next job, and a caller for its helpers
    /// to finish, before sleeping on a condition variable: waking a sleeping thread
    /// is a system call and, in a virtual machine, an inter-processor interrupt
    /// (tens of microseconds here, which back-to-back calls of 30-200 us paid every
    /// time). OpenMP runtimes spin far longer (libgomp about 300k polls, Intel's
    /// 200 ms); this is short so an idle process gives the cores back soon.
    static let spinNanoseconds = 200_000

    private init() {
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(left, nil)
        slots = (0..<WorkerPool.slotCount).map { _ in JobSlot() }
        // A forked child has none of the workers, and the lock may have been held by
        // a thread that no longer exists: start over there, single-threaded (starting
        // threads in the child of a multi-threaded process is what fork-unsafe
        // runtimes, sanitizers included, do not support; torch does the same).
        pthread_atfork(nil, nil) { WorkerPool.shared.resetInForkedChild() }
    }

    /// Set in a forked child: every call then runs on its calling thread.
    private(set) var forkedChild = false

    private func resetInForkedChild() {
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(left, nil)
        forkedChild = true
        workers = 0
        offeredCount = 0
        pending.store(0, ordering: .relaxed)
        for slot in slots {
            slot.busy = false
            slot.offered = false
            slot.inside.store(0, ordering: .relaxed)
            slot.openSeats = 0
            slot.body = nil
        }
    }

    /// Runs body(0..<chunks) on the calling thread plus up to `helpers` idle workers;
    /// returns when every chunk has finished.
    func run(chunks: Int, helpers: Int, _ body: (Int) -> Void) {
        do {
            // The body's words, not the closure: storing a closure value for other
            // threads needs an escaping closure, a heap allocation per call.
            var function = _intClosureWords(body)
            withUnsafeMutablePointer(to: &function) { functionPointer in
                pthread_mutex_lock(lock)
                guard let slot = slots.first(where: { !$0.busy }) else {
                    pthread_mutex_unlock(lock)
                    for c in 0..<chunks { body(c) }
                    return
                }
                slot.busy = true
                slot.body = UnsafeRawPointer(functionPointer)
                slot.chunks = chunks
                slot.next.store(0, ordering: .relaxed)
                slot.openSeats = helpers
                slot.inside.store(0, ordering: .relaxed)
                slot.offered = true
                offeredCount &+= 1
                pending.store(offeredCount, ordering: .releasing)
                startWorkers(upTo: helpers)
                if helpers == 1 { pthread_cond_signal(wake) } else { pthread_cond_broadcast(wake) }
                pthread_mutex_unlock(lock)

                WorkerPool.drain(slot, functionPointer)

                // Every chunk is claimed: close the job, then wait for helpers still
                // running one (polling first: they finish within a chunk).
                pthread_mutex_lock(lock)
                if slot.offered {
                    slot.offered = false
                    offeredCount &-= 1
                    pending.store(offeredCount, ordering: .releasing)
                }
                if slot.inside.load(ordering: .acquiring) > 0 {
                    pthread_mutex_unlock(lock)
                    _ = WorkerPool.spin { slot.inside.load(ordering: .acquiring) == 0 }
                    pthread_mutex_lock(lock)
                }
                while slot.inside.load(ordering: .acquiring) > 0 { pthread_cond_wait(left, lock) }
                slot.body = nil
                slot.busy = false
                pthread_mutex_unlock(lock)
            }
        }
    }

    /// Runs chunks until none is left.
    private static func drain(_ slot: JobSlot, _ body: UnsafePointer<JobBody>) {
        let chunks = slot.chunks
        let words = body.pointee
        while true {
            let chunk = slot.next.wrappingAdd(1, ordering: .relaxed).oldValue
            if chunk >= chunks { return }
            spcpu_call_int_closure(words, chunk)
        }
    }

    /// Polls `done` until it holds (true) or spinNanoseconds have passed (false).
    private static func spin(_ done: () -> Bool) -> Bool {
        var start = timespec(), now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var polls = 0
        while true {
            if done() { return true }
            spcpu_spin_pause()
            polls &+= 1
            if polls & 63 == 0 {
                clock_gettime(CLOCK_MONOTONIC, &now)
                let elapsed = (now.tv_sec &- start.tv_sec) &* 1_000_000_000 &+ (now.tv_nsec &- start.tv_nsec)
                if elapsed >= spinNanoseconds { return false }
            }
        }
    }

    /// Starts workers until there are `count` (capped); called with `lock` held.
    private func startWorkers(upTo count: Int) {
        while workers < Swift.min(count, WorkerPool.maxWorkers) {
            var thread = pthread_t()
            let context = Unmanaged.passUnretained(self).toOpaque()
            guard pthread_create(&thread, nil, { context in
                Unmanaged<WorkerPool>.fromOpaque(context!).takeUnretainedValue().workerLoop()
            }, context) == 0 else { return }  // no thread: callers do the work themselves
            pthread_detach(thread)
            workers &+= 1
            while prepared.load(ordering: .acquiring) < workers { sched_yield() }
        }
    }

    private func workerLoop() -> Never {
        // Per-thread state that allocates on first use, set up before any chunk
        // (test_no_alloc caught a worker's first scratch lookup inside a call).
        spcpu_prepare_thread()
        prepared.add(1, ordering: .releasing)
        pthread_mutex_lock(lock)
        while true {
            guard offeredCount > 0, let slot = slots.first(where: { $0.offered }) else {
                // Idle: poll for a job a while, then sleep until one is offered.
                pthread_mutex_unlock(lock)
                let seen = WorkerPool.spin { pending.load(ordering: .acquiring) > 0 }
                pthread_mutex_lock(lock)
                if !seen && offeredCount == 0 { pthread_cond_wait(wake, lock) }
                continue
            }
            slot.inside.add(1, ordering: .relaxed)
            slot.openSeats &-= 1
            if slot.openSeats == 0 {
                slot.offered = false
                offeredCount &-= 1
                pending.store(offeredCount, ordering: .releasing)
            }
            let body = slot.body!.assumingMemoryBound(to: JobBody.self)
            pthread_mutex_unlock(lock)
            WorkerPool.drain(slot, UnsafePointer(body))
            pthread_mutex_lock(lock)
            if slot.inside.subtract(1, ordering: .releasing).newValue == 0 { pthread_cond_broadcast(left) }
        }
    }
}
