import Foundation
import Testing

/// `sextant gateway`'s command line: each wrong flag is one clear line and exit status 2,
/// before anything on the host is touched.
@Suite struct GatewayFlagTests {
    static let valid = ["gateway", "--cluster-id", "west", "--backend", "wireguard", "--private-ip", "192.168.77.11",
                        "--health-check-ip", "10.1.0.1", "--service-cidr", "100.65.0.0/16", "--cluster-cidr", "10.1.0.0/16",
                        "--exchange", "/nonexistent-sextant-exchange"]

    func replacing(_ flag: String, with value: String?) -> [String] {
        var args = Self.valid
        guard let i = args.firstIndex(of: flag) else { return args + [flag] + (value.map { [$0] } ?? []) }
        if let v = value { args[i + 1] = v } else { args.removeSubrange(i...(i + 1)) }
        return args
    }

    @Test(arguments: [
        ("--backend", "ipsec", "--backend must be wireguard or vxlan, not 'ipsec'"),
        ("--private-ip", "192.168.77", "--private-ip '192.168.77' is not an IPv4 address"),
        ("--health-check-ip", "fe80::1", "--health-check-ip 'fe80::1' is not an IPv4 address or auto"),
        ("--service-cidr", "100.65.0.0/40", "'100.65.0.0/40' is not an IPv4 CIDR"),
        ("--cluster-id", "a b", "--cluster-id 'a b' is not a cluster id"),
        ("--port", "70000", "--port must be between 1 and 65535, not 70000"),
        ("--mtu", "100", "--mtu must be between 576 and 9000, not 100"),
        ("--interface", "a-name-longer-than-15", "is not a device name"),
        ("--kubeconfig", "/x", "give exactly one of --exchange DIR, --kubeconfig FILE or --in-cluster"),
        ("--health-probe", "tcp", "--health-probe must be auto, icmp, udp or off, not 'tcp'"),
        ("--health-interval", "0.01", "--health-interval must be between 0.05 and 60 seconds"),
        ("--health-loss", "0", "--health-loss must be between 1 and 100, not 0"),
        ("--http", "localhost", "localhost"),
    ])
    func wrongFlagsAreOneLine(flag: String, value: String, message: String) throws {
        let r = try SextantProcess.runToExit(replacing(flag, with: value))
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }

    @Test func missingRangesAndSources() throws {
        let noRanges = try SextantProcess.runToExit(replacing("--cluster-cidr", with: nil))
        #expect(noRanges.status == 2 && noRanges.stderr.contains("at least one --service-cidr and one --cluster-cidr are needed"))
        let noSource = try SextantProcess.runToExit(replacing("--exchange", with: nil))
        #expect(noSource.status == 2 && noSource.stderr.contains("give exactly one of --exchange DIR, --kubeconfig FILE or --in-cluster"))
        let psk = try SextantProcess.runToExit(Self.valid + ["--psk-file", "/nonexistent-psk"])
        #expect(psk.status == 2 && psk.stderr.contains("--psk-file /nonexistent-psk: cannot read it"), "\(psk.stderr)")
    }

    @Test func aHealthCheckIPThatIsNotOursStopsTheStart() throws {
        // 10.1.0.1 is on no interface of this host (the check runs before anything is made).
        let r = try SextantProcess.runToExit(Self.valid + ["--state-dir", NSTemporaryDirectory() + "sextant-gw-\(getpid())"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--health-check-ip 10.1.0.1 is not an address of this host"), "\(r.stderr)")
        var auto = Self.valid
        auto[auto.firstIndex(of: "10.1.0.1")!] = "auto"
        let a = try SextantProcess.runToExit(auto + ["--cluster-cidr", "10.255.0.0/16", "--state-dir", NSTemporaryDirectory() + "sextant-gw-\(getpid())"])
        #expect(a.status == 1)
        #expect(a.stderr.contains("--health-check-ip auto: no address of this host lies in a cluster CIDR (10.1.0.0/16, 10.255.0.0/16)"), "\(a.stderr)")
    }
}
