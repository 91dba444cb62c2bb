// Answers one kind of query N times, for instruction counts under callgrind:
//   valgrind --tool=callgrind .build/release/QueryLoop "A hit" 100000
// The QueryPath benchmark runs it twice (N and 2N) and records the difference per query.
import BenchWorkload
import DNSWire
#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count >= 3, let kind = QueryWorkload.Kind(rawValue: args[1]), let count = Int(args[2]) else {
    print("usage: QueryLoop KIND COUNT [SERVICES]   (KIND: \(QueryWorkload.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
    exit(2)
}
// Instruction counts do not depend on the table's size (hash probes); a small table
// keeps callgrind's run short.
let table = QueryWorkload.table(services: args.count > 3 ? Int(args[3]) ?? 100 : Workload.services)
let buffers = QueryWorkload.Buffers()
let n = QueryWorkload.answer(QueryWorkload.query(kind), table: table, buffers: buffers, count: count, forwarding: QueryWorkload.forwarding(kind))
print("answered \(count) x \(kind.rawValue), \(n) bytes each")
