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
    '~1–1.5 ms later (the line is add + delete + add, so that a renewed grant gets a fresh timeout). The ' +
    '"method floor" row is what the measurement adds to any sample, and its own p99 shows how noisy a ' +
    'shared 2-core VM is; medians moved between 2.7 and 4.3 ms from run to run. What would lift it: a plain ' +
    "`add element` when the daemon knows the address has no live grant cuts nft's work to a third; the p99 " +
    'is mostly scheduling noise (the daemon, nft, the prober and the kernel share 2 cores).',
  stale:
    'Packets to an unwatched port are dropped by the kernel BPF filter and never reach the daemon, so a miss ' +
    'here means the machine itself was saturated: the flood sender, the kernel and both daemons share 2 cores.',
  current:
    'Every forged packet at a watched port costs the daemon a wake-up, a native→JavaScript callback, a few ' +
    'typed-array allocations, one HChaCha20 and one Map lookup, all on one JavaScript thread. When the flood ' +
    'outruns that, the kernel ring overflows and drops packets, the legit knock among them ("daemon saw" in ' +
    'the table is the share of the flood the daemon read). Cheaper packets (see goal 3) raise the rate it ' +
    'absorbs; an in-kernel pre-check of the masked lookup tag (XDP/eBPF with the header key) would drop ' +
    'forged packets before they reach the daemon at all.',
  cpu:
    'perf of the daemon under a 20,000/s flood: the checks themselves (HChaCha20 unmask + Map probe) are ' +
    '~1 µs (step 5); the rest is per-packet overhead around them: context switches (immediate mode wakes ' +
    "the loop for few packets at a time), cap's native→JavaScript callback per frame, and typed arrays and " +
    'strings made per frame (subarray, DataView, the source address as text). Per packet the cost falls as ' +
    'the rate rises (more packets per wake-up). Handing frames to JavaScript in batches, parsing into ' +
    'preallocated buffers and formatting addresses only for packets that verify would lift it.',
  memory:
    'An idle daemon (smaps): ~39 MB are the pages of the node binary itself (any Node program has them), ' +
    "~20 MB the capture ring (libpcap's mmap ring for the 10 MiB buffer the daemon asks for; with cap's " +
    'fixed 65535-byte snapshot length each slot is 64 KiB) and ~17 MB heap. The peaks 30 s apart are the ' +
    'step rolls: cap has no setfilter, so a new filter is a new handle, with a ring of its own, overlapping ' +
    'the old one for 1.5 s. Under the flood RSS rises by ~5 MB (the JavaScript heap at its working size) ' +
    'and then stays flat apart from those peaks. A smaller buffer trades flood slack for memory; re-arming ' +
    'less often (the filter horizon K in filter-horizon.ts) removes most peaks but lets stale ports reach ' +
    'user space; a libpcap binding with pcap_setfilter and a short snapshot length would remove both.',
  rolls:
    'Each roll rebuilds the step tables and re-arms the capture filter in place (pcap_setfilter on the one ' +
    'handle); growth here would be a leak in those.',
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
