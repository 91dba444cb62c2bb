import Testing
@testable import Forwarder

struct UpstreamAddressTests {
    @Test func theFormsOfForward() throws {
        #expect(try UpstreamAddress.parse("10.96.0.10").map(\.description) == ["10.96.0.10:53"])
        #expect(try UpstreamAddress.parse("127.0.0.1:5399").map(\.description) == ["127.0.0.1:5399"])
        #expect(try UpstreamAddress.parse("[fd00::a]:5300").map(\.description) == ["[fd00::a]:5300"])
        #expect(try UpstreamAddress.parse("fd00::a").map(\.description) == ["[fd00::a]:53"])
        let conf = "search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\nnameserver fe80::1%eth0\nnameserver 10.96.0.11\noptions ndots:5\n"
        var asked = ""
        let found = try UpstreamAddress.parse("resolv.conf") { path in
            asked = path
            return conf
        }
        #expect(asked == "/etc/resolv.conf")
        #expect(found.map(\.description) == ["10.96.0.10:53", "10.96.0.11:53"])
    }

    @Test func badValuesSayWhy() {
        for bad in ["dns.google", "10.0.0.1:0", "10.0.0.1:99999", "[fd00::1", "[10.0.0.1]:53", "1.2.3.4:53:53"] {
            #expect(throws: UpstreamError.self) { try UpstreamAddress.parse(bad) }
        }
        #expect(throws: UpstreamError.self) { try UpstreamAddress.parse("/nonexistent/resolv.conf") }
        #expect(throws: UpstreamError.self) { try UpstreamAddress.parse("resolv.conf") { _ in "search x\n" } }
    }
}
