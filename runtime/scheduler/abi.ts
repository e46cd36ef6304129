// Mirror of core-as/abi.ts for the host. tests/core-as/abi.test.ts checks every
// value against the globals the compiled module exports.

// ---- header slots (i32 each) -------------------------------------------------
export const H_NODE_COUNT = 0
export const H_TASK_COUNT = 1
export const H_NODE_FREE_CPU = 2 //       i32[nodes]  millicores
export const H_NODE_FREE_MEM = 3 //       i32[nodes]  MiB
export const H_NODE_FREE_GPU = 4 //       i32[nodes]
export const H_NODE_TOTAL_CPU = 5 //      i32[nodes]
export const H_NODE_TOTAL_MEM = 6 //      i32[nodes]
export const H_NODE_TOTAL_GPU = 7 //      i32[nodes]
export const H_NODE_STATUS = 8 //         u8[nodes]   NODE_*
export const H_NODE_ATTRS = 9 //          i32[ATTR_COUNT * nodes], column k at k * nodes
export const H_NODE_TASKS = 10 //         i32[nodes]  tasks already running there
export const H_PAIR_COUNT = 11
export const H_PAIRS = 12 //              i32[3 * pairs]  (group, node, count) already running
export const H_TASK_CPU = 13 //           i32[tasks]
export const H_TASK_MEM = 14 //           i32[tasks]
export const H_TASK_GPU = 15 //           i32[tasks]
export const H_TASK_GROUP = 16 //         i32[tasks]  0 = no group
export const H_TASK_STRATEGY = 17 //      u8[tasks]   STRATEGY_*
export const H_TASK_SPREAD_ATTR = 18 //   i8[tasks]   SPREAD_NODE or an attribute index
export const H_TASK_FLAGS = 19 //         u8[tasks]   FLAG_*
export const H_TASK_CONSTRAINT_ATTR = 20 // i8[tasks] CONSTRAINT_NONE or an attribute index
export const H_TASK_CONSTRAINT_OFFSET = 21 // i32[tasks] into the value pool
export const H_TASK_CONSTRAINT_LENGTH = 22 // i32[tasks]
export const H_VALUE_COUNT = 23
export const H_VALUES = 24 //             i32[values]  attribute value ids for memberOf sets
export const H_TASK_WAIT = 25 //          i32[tasks]  scheduling rounds already waited
export const H_TASK_ORDER = 26 //         i32[tasks]  dispatch order (a permutation), or 0 = as given
export const H_SEED = 27 //               u32 seed of the random strategy
export const H_AGING = 28 //              rounds after which a task that does not fit reserves a node (0 = never)
export const H_OUT_NODE = 29 //           i32[tasks]  node index, or -1
export const H_OUT_REASON = 30 //         u8[tasks]   REASON_* (| REASON_RESERVED_BIT)
export const H_METRICS = 31 //            f64[METRIC_COUNT]
export const H_SCRATCH = 32 //            scratch area, scratchBytes(header) long
export const H_SCRATCH_BYTES = 33
// Extensions (ECS placement): pools and one per-task record column, all
// optional. A batch without them (Batch's) leaves these slots 0 and pays
// nothing per task: the core reads the extension record only when H_TASK_EXT
// is set.
export const H_CHAIN_COUNT = 34
export const H_CHAINS = 35 //             i32[2 * chains]  (strategy, spread attribute): tie-breakers after a task's first strategy
export const H_LIST_COUNT = 36
export const H_LISTS = 37 //              i32[3 * lists]   (attribute, value offset, value length): memberOf sets beyond the first
export const H_PORT_COUNT = 38
export const H_PORTS = 39 //              i32[ports]       port keys a task needs (PORT_UDP_BIT | number)
export const H_USED_PORT_COUNT = 40
export const H_USED_PORTS = 41 //         i32[2 * used]    (node, port key) already taken on nodes
export const H_TASK_EXT = 42 //           i32[EXT_SLOTS * tasks] or 0: per task its EXT_* slots
export const HEADER_SLOTS = 43

// ---- the per-task extension record (EXT_SLOTS i32 per task) ------------------------
export const EXT_CHAIN_OFFSET = 0 //  into the chain pool
export const EXT_CHAIN_LENGTH = 1 //  tie-breakers, at most CHAIN_MAX - 1
export const EXT_LIST_OFFSET = 2 //   into the constraint-list pool
export const EXT_LIST_LENGTH = 3 //   extra memberOf sets, at most CONSTRAINT_MAX - 1
export const EXT_PORT_OFFSET = 4 //   into the port pool
export const EXT_PORT_LENGTH = 5
export const EXT_SLOTS = 6
export const CHAIN_MAX = 5 //         strategies per task (ECS's limit), the first in H_TASK_STRATEGY
export const CONSTRAINT_MAX = 10 //   memberOf sets per task (ECS's limit on constraints), the first in H_TASK_CONSTRAINT_*
export const PORT_UDP_BIT = 0x10000 // a port key: number (1..65535) | PORT_UDP_BIT for udp

// ---- node attributes -----------------------------------------------------------
export const ATTR_ZONE = 0
export const ATTR_INSTANCE_TYPE = 1
export const ATTR_CUSTOM_FIRST = 2 //  custom attributes 2..9
export const ATTR_COUNT = 10

// ---- node status ---------------------------------------------------------------
export const NODE_ACTIVE = 0
export const NODE_DRAINING = 1
export const NODE_INACTIVE = 2

// ---- strategies ------------------------------------------------------------------
export const STRATEGY_BINPACK_CPU = 0 //    fewest remaining millicores
export const STRATEGY_BINPACK_MEMORY = 1 // fewest remaining MiB
export const STRATEGY_BESTFIT = 2 //        least normalised leftover of cpu + memory
export const STRATEGY_SPREAD = 3 //         even counts over an attribute or over nodes
export const STRATEGY_RANDOM = 4 //         seeded
export const STRATEGY_COUNT = 5
export const SPREAD_NODE = -1
export const CONSTRAINT_NONE = -1

// ---- task flags ------------------------------------------------------------------
export const FLAG_DISTINCT_INSTANCE = 1

// ---- reasons (plan output) -----------------------------------------------------
export const REASON_PLACED = 0
export const REASON_CPU = 1
export const REASON_MEMORY = 2
export const REASON_GPU = 3
export const REASON_CONSTRAINT = 4
export const REASON_NO_ACTIVE_NODE = 5
export const REASON_PORTS = 6 //  a static host port the task needs is taken on every node that has the capacity
export const REASON_RESERVED_BIT = 0x80 // set with the reason: not placed, but the node in OUT_NODE is held for it

// ---- metrics (f64 each) ------------------------------------------------------------
export const M_PLACED = 0
export const M_FAILED = 1
export const M_NODES_EVALUATED = 2 //     leaves visited by searches and failure scans
export const M_FILTERED_CPU = 3
export const M_FILTERED_MEMORY = 4
export const M_FILTERED_GPU = 5
export const M_FILTERED_CONSTRAINT = 6
export const M_FILTERED_INACTIVE = 7
export const M_RESERVATIONS = 8
export const M_FAILURE_SCANS = 9 //       full scans made to explain a failure
export const M_CONTEXT_BUILDS = 10 //     spread contexts (re)built
export const M_INDEX_VISITS = 11 //       capacity-index records a search descended into
export const M_FILTERED_PORTS = 12 //     nodes ruled out by a taken host port
export const METRIC_COUNT = 13

// ---- status codes returned by exports --------------------------------------------
export const STATUS_OK = 0
export const STATUS_SCRATCH_TOO_SMALL = 1
export const STATUS_OUT_OF_BOUNDS = 2 //     a column lies outside linear memory
export const STATUS_INVALID_BASE = 100
