import Foundation
@testable import Gateway
import Testing

/// Submariner-shaped objects (gateway.md a.2) read and written with Submariner's exact
/// JSON names, omit-empty fields and Go durations.
@Suite struct SubmarinerModelTests {
    static let endpointJSON = """
    {"apiVersion":"submariner.io/v1","kind":"Endpoint",
     "metadata":{"name":"c1-submariner-cable-c1-192-168-77-11","namespace":"submariner-operator"},
     "spec":{"cluster_id":"c1","cable_name":"submariner-cable-c1-192-168-77-11","healthCheckIP":"10.1.0.1",
       "hostname":"gw1","subnets":["100.65.0.0/16","10.1.0.0/16"],"private_ip":"192.168.77.11",
       "public_ip":"192.168.77.11","nat_enabled":false,"backend":"wireguard",
       "backend_config":{"udp-port":"4500","natt-discovery-port":"4490",
         "publicKey":"AZQKl6VUv3JJ7efHyp0LhiBabPvX1NrH/R8QoD4Cp3g=","interface-name":"submariner"}}}
    """

    static let gatewayJSON = """
    {"apiVersion":"submariner.io/v1","kind":"Gateway",
     "metadata":{"name":"gw1","namespace":"submariner-operator","annotations":{"update-timestamp":"1732262400"}},
     "status":{"version":"v0.19.0","haStatus":"active","statusFailure":"",
       "localEndpoint":{"cluster_id":"c1","cable_name":"submariner-cable-c1-192-168-77-11","healthCheckIP":"10.1.0.1","hostname":"gw1",
                        "subnets":["100.65.0.0/16","10.1.0.0/16"],"private_ip":"192.168.77.11","public_ip":"192.168.77.11",
                        "nat_enabled":false,"backend":"wireguard","backend_config":{"udp-port":"4500","publicKey":"AZQK..."}},
       "connections":[
         {"status":"connected","statusMessage":"","usingIP":"192.168.77.12",
          "endpoint":{"cluster_id":"c2","cable_name":"submariner-cable-c2-192-168-77-12","healthCheckIP":"10.2.0.1","hostname":"gw2",
                      "subnets":["100.66.0.0/16","10.2.0.0/16"],"private_ip":"192.168.77.12","public_ip":"192.168.77.12",
                      "nat_enabled":false,"backend":"wireguard","backend_config":{"udp-port":"4500","publicKey":"hHQF..."}},
          "latencyRTT":{"last":"855.257µs","min":"797.579µs","average":"2.2836ms","max":"5.99041ms","stdDev":"1.96683ms"}},
         {"status":"error","statusMessage":"Failed to successfully ping the remote endpoint IP \\"10.3.0.1\\"","usingIP":"192.168.77.33","usingNAT":true,
          "endpoint":{"cluster_id":"c3","cable_name":"submariner-cable-c3-172-31-3-2","healthCheckIP":"10.3.0.1","hostname":"gw3",
                      "subnets":["100.67.0.0/16","10.3.0.0/16"],"private_ip":"172.31.3.2","public_ip":"192.168.77.33",
                      "nat_enabled":true,"backend":"wireguard","backend_config":{"udp-port":"4500","publicKey":"+2JB..."}}}]}}
    """

    func object(_ data: Data) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    @Test func readsSubmarinersEndpoint() throws {
        let e = try JSONDecoder().decode(EndpointObject.self, from: Data(Self.endpointJSON.utf8))
        #expect(e.spec.clusterID == "c1")
        #expect(e.spec.cableName == "submariner-cable-c1-192-168-77-11")
        #expect(e.spec.healthCheckIP == "10.1.0.1")
        #expect(e.spec.subnets == ["100.65.0.0/16", "10.1.0.0/16"])
        #expect(e.spec.backendConfig["publicKey"] == "AZQKl6VUv3JJ7efHyp0LhiBabPvX1NrH/R8QoD4Cp3g=")
        #expect(e.spec.udpPort == 4500)
        #expect(e.spec.gatewayIP == "192.168.77.11")
        // The names Submariner derives: cable name and object name.
        #expect(EndpointSpec.cableName(clusterID: "c1", privateIP: "192.168.77.11") == e.spec.cableName)
        #expect(e.spec.objectName == e.metadata.name)
        // Written back, it is the same JSON object (key for key, value for value).
        let back = try JSONEncoder().encode(e)
        #expect(try object(back) == object(Data(Self.endpointJSON.utf8)))
    }

    @Test func omitsWhatGoOmits() throws {
        let spec = EndpointSpec(clusterID: "c9", cableName: "submariner-cable-c9-10-0-0-9", privateIP: "10.0.0.9", backend: "vxlan")
        let json = try object(JSONEncoder().encode(spec))
        #expect(json["healthCheckIP"] == nil && json["backend_config"] == nil)
        #expect(json["public_ip"] as? String == "" && json["hostname"] as? String == "" && json["nat_enabled"] as? Bool == false)
        #expect((json["subnets"] as? [String]) == [])
        #expect(spec.gatewayIP == "10.0.0.9")
        let c = Connection(status: .connecting, endpoint: spec)
        let cj = try object(JSONEncoder().encode(c))
        #expect(cj["usingIP"] == nil && cj["usingNAT"] == nil && cj["latencyRTT"] == nil)
        #expect(cj["statusMessage"] as? String == "" && cj["status"] as? String == "connecting")
        // Missing fields decode as Go's zero values.
        let sparse = try JSONDecoder().decode(EndpointSpec.self, from: Data(#"{"cluster_id":"x"}"#.utf8))
        #expect(sparse.subnets.isEmpty && sparse.backendConfig.isEmpty && !sparse.natEnabled && sparse.privateIP.isEmpty)
    }

    @Test func readsAndWritesSubmarinersGatewayStatus() throws {
        let g = try JSONDecoder().decode(GatewayObject.self, from: Data(Self.gatewayJSON.utf8))
        #expect(g.status.haStatus == .active)
        #expect(g.metadata.annotations?["update-timestamp"] == "1732262400")
        #expect(g.status.connections.map(\.status) == [.connected, .error])
        #expect(g.status.connections[1].usingNAT && g.status.connections[1].endpoint.natEnabled)
        #expect(g.status.connections[0].latencyRTT?.average == GoDuration(nanoseconds: 2_283_600))
        #expect(g.status.connections[0].latencyRTT?.last == GoDuration(nanoseconds: 855_257))
        #expect(g.status.connections[1].latencyRTT == nil)
        let back = try JSONEncoder().encode(g)
        #expect(try object(back) == object(Data(Self.gatewayJSON.utf8)))
    }

    @Test func clusterObjectsAndNames() throws {
        let c = ClusterSpec(clusterID: "Cluster_A", serviceCIDR: ["100.65.0.0/16"], clusterCIDR: ["10.1.0.0/16"])
        let json = try object(JSONEncoder().encode(c))
        #expect(json == ["cluster_id": "Cluster_A", "service_cidr": ["100.65.0.0/16"], "cluster_cidr": ["10.1.0.0/16"], "global_cidr": []] as NSDictionary)
        #expect(c.objectName == "cluster-a")
        #expect(ObjectNaming.validName("c1-submariner-cable-c1-192-168-77-11") == "c1-submariner-cable-c1-192-168-77-11")
    }
}

@Suite struct GatewayPrimitiveTests {
    @Test func x25519AndThePresharedKey() throws {
        // RFC 7748 section 6.1, Alice's key pair.
        let alice = try #require(WireGuardKey(hex: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        #expect(try alice.publicKey().hex == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        // Submariner's default: SHA-256 of "default psk".
        #expect(try WireGuardKey.presharedKey(from: Array("default psk".utf8)).hex == "88389a72ef60dc22f2236af58ed6f6d81f4bcbf0123a0965dafbfd1921593c9c")
        let k = WireGuardKey.generatePrivate()
        #expect(k.bytes[0] & 7 == 0 && k.bytes[31] & 0xC0 == 0x40)
        #expect(WireGuardKey(base64: k.base64) == k && WireGuardKey(hex: k.hex) == k)
        #expect(WireGuardKey(base64: "AZQK...") == nil && WireGuardKey(hex: "zz") == nil)
    }

    @Test func addressesAndRanges() {
        #expect(IPv4("192.168.77.11")?.withFirstOctet(241).description == "241.168.77.11")
        #expect(IPv4("256.1.1.1") == nil && IPv4("1.2.3") == nil && IPv4("1.2.3.4.5") == nil && IPv4("01.2.3.4x") == nil)
        let a = IPv4Network("10.1.5.7/16")
        #expect(a?.description == "10.1.0.0/16")
        #expect(a?.overlaps(IPv4Network("10.1.200.0/24")!) == true)
        #expect(a?.overlaps(IPv4Network("10.0.0.0/8")!) == true)
        #expect(a?.overlaps(IPv4Network("10.2.0.0/16")!) == false)
        #expect(a?.contains(IPv4("10.1.0.1")!) == true)
        #expect(IPv4Network("10.1.0.0/33") == nil && IPv4Network("10.1.0.0") == nil)
    }

    @Test func netlinkAttributesArePaddedAndNested() {
        var m = NetlinkMessage(type: RTNetlink.newLink, flags: RTNetlink.ack, familyHeader: NetlinkMessage.ifinfo())
        m.attribute(RTNetlink.iflaIfname, string: "vx")  // 4 + 3 bytes, padded to 8
        m.beginNest(RTNetlink.iflaLinkinfo)
        m.attribute(RTNetlink.iflaInfoKind, Array("vxlan".utf8))  // 4 + 5, padded to 12
        m.endNest()
        let bytes = m.finish(sequence: 7)
        #expect(bytes.count == 16 + 16 + 8 + 4 + 12)
        #expect(bytes[0] == UInt8(bytes.count) && bytes[8] == 7)
        #expect(bytes[32] == 7 && bytes[34] == 3)           // IFLA_IFNAME, length 7
        #expect(bytes[40] == 16 && bytes[42] == 18)         // IFLA_LINKINFO holds 16 bytes
        let attrs = NetlinkReply.attributes(in: bytes[32...])
        #expect(NetlinkReply.string(attrs[RTNetlink.iflaIfname]) == "vx")
        #expect(attrs[RTNetlink.iflaLinkinfo].map { NetlinkReply.string(NetlinkReply.attributes(in: $0)[RTNetlink.iflaInfoKind]) } == "vxlan")
    }
}
