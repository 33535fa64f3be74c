/**
 * For each goal: what limits spa there and what would lift it, from looking inside the daemon
 * while the bench ran on this kind of machine (2 cores, Node 20): strace of one knock, perf of
 * the daemon under a 20,000/s flood, /proc/PID/smaps of an idle daemon. Shown in the report for
 * the goals a run misses.
 */
export const LIMITS = {
  latency:
    'Where a knock spends its time in the daemon (strace of 20 knocks): the capture wake-up and verify; ' +
    'the one-time id appended to the replay store with write(2) (~5 µs; its fdatasync now runs in the ' +
    "background, off the knock's path); one line to the long-lived `nft -i`, ~0.7 ms, which nft confirms " +
    '~1–1.5 ms later (one `add element` for an address with no live grant, as every sample here is; ' +
    'add + delete + add only to renew a live one, so that it gets a fresh timeout). The "method floor" ' +
    'row is what the measurement adds to any sample, and its own p99 shows how noisy a shared 2-core VM ' +
    'is; medians moved between 2.7 and 4.3 ms from run to run. The p99 is mostly scheduling noise (the ' +
    'daemon, nft, the prober and the kernel share 2 cores); the median has not been broken down further ' +
    'than this strace.',
  stale:
    'Packets to an unwatched port are dropped by the kernel BPF filter and never reach the daemon, so a miss ' +
    'here means the machine itself was saturated: the flood sender, the kernel and both daemons share 2 cores.',
  current:
    'Every forged packet at a watched port costs the daemon its share of a wake-up and batch call, the ' +
    'parse, one HChaCha20 and one Map lookup, all on one JavaScript thread. At most 256 frames are read ' +
    'per wake-up (the timers keep running); when the flood outruns the daemon, or the daemon is off the ' +
    'CPU for longer than the 4 MiB ring (~2,000 frames, ~20 ms at 100k/s) lasts, the kernel drops frames, ' +
    'the legit knock among them ("daemon saw" in the table is the share of the flood it read). On the ' +
    'shared 2-core machine the flood sender, the kernel and both daemons compete for the CPUs. A larger ring ' +
    '(bufferBytes) buys slack for memory; an in-kernel pre-check of the masked lookup tag (XDP/eBPF with ' +
    'the header key) would drop forged packets before they reach the daemon at all.',
  cpu:
    'What is left per forged packet: the checks themselves (HChaCha20 unmask + Map probe, ~1 µs, step 5), ' +
    'the parse into a packet object with its payload copy (the address text is no longer made), and the ' +
    'share of each wake-up: at 1,000/s every packet wakes the daemon on its own (immediate mode), which is ' +
    'why the cost per packet is highest there and falls with the rate as batches fill. Parsing into one ' +
    'reused packet object, and checking the lookup tag before any object is made, would lift it further.',
  memory:
    'An idle daemon: ~39 MB are the pages of the node binary itself (any Node program has them), the ' +
    'capture ring is now 4 MiB (one handle, 1,826-byte snapshot length, ~2 KiB slots) instead of ~20 MB, ' +
    'and the rest is the JavaScript heap and its committed but unused pages. There are no step-roll peaks ' +
    'any more (the filter changes in place). Below 60 MB would need a smaller heap (V8 flags such as ' +
    '--max-semi-space-size) or a smaller ring (less flood slack).',
  rolls:
    'Each roll rebuilds the step tables and re-arms the capture filter in place (setFilter on the one ' +
    'handle). RSS rises over the first ~8,000 rolls as V8 grows its heap to a working size (committed ' +
    '~40 MB for ~7 MB live; the same without any capture, ROLLS_SOURCE=none) and then stays flat; ' +
    'setFilter itself keeps ~80 bytes per call (libpcap, measured over 50,000 calls). Growth over the ' +
    'second half beyond 1 MB would be a leak in the roll.',
  scaling:
    'The lookup is one Map probe whatever the number of clients; a larger table only costs cache misses. ' +
    'A flat open-addressing table of the 48-bit keys would lift it.',
  configLoad:
    '`loadConfig` parses the TOML and checks every [clients.NAME] table (subkeys are derived lazily). Before it listens the daemon also derives four HKDF subkeys per client and fills the lookup table (the "ready" figure), which takes several times longer at 10,000 clients; deriving in a worker, or keeping derived lookup keys in the state directory, would lift that.',
  startup:
    'The "node start-up alone" row is the floor: Node needs that long before any of our code runs. ' +
    'spa-client then loads one bundled module (dist/spa-client.mjs, when built), reads the profile, seals ' +
    'and sends. A V8 start-up snapshot (node --snapshot-blob) or fewer dependencies in the bundle would lift ' +
    'it further; the floor itself only a non-Node client would.',
} as const;
