@testable import OpsHTTP
import Testing

@Suite struct PrometheusTextTests {
    @Test func familiesSamplesAndEscaping() {
        var p = PrometheusText()
        p.family("sextant_x_total", .counter, "Things.\nWith a \\ backslash.")
        p.sample("sextant_x_total", 3, labels: ["kind": "a\"b\\c\nd", "t": "A"])
        p.sample("sextant_x_total", 0.25)
        #expect(p.text == """
            # HELP sextant_x_total Things.\\nWith a \\\\ backslash.
            # TYPE sextant_x_total counter
            sextant_x_total{kind="a\\"b\\\\c\\nd",t="A"} 3
            sextant_x_total 0.25

            """)
    }

    @Test func histogramBucketsAreCumulativeWithInf() {
        var p = PrometheusText()
        p.family("h_seconds", .histogram, "h")
        p.histogram("h_seconds", bounds: [0.001, 0.5], cumulative: [2, 5], count: 7, sum: 1.5)
        #expect(p.text.contains("h_seconds_bucket{le=\"0.001\"} 2\n"))
        #expect(p.text.contains("h_seconds_bucket{le=\"0.5\"} 5\n"))
        #expect(p.text.contains("h_seconds_bucket{le=\"+Inf\"} 7\n"))
        #expect(p.text.hasSuffix("h_seconds_sum 1.5\nh_seconds_count 7\n"))
    }
}

@Suite struct HTTPRequestTests {
    @Test func parsesRequestLines() {
        #expect(HTTPRequest.parse(head: Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) == HTTPRequest(method: "GET", path: "/metrics"))
        #expect(HTTPRequest.parse(head: Array("HEAD /ready?verbose=1 HTTP/1.0\r\n\r\n".utf8)) == HTTPRequest(method: "HEAD", path: "/ready", query: "verbose=1"))
        for bad in ["GET /metrics\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n", "get / HTTP/1.1\r\n\r\n", " / HTTP/1.1\r\n\r\n",
                    "GET / SPDY/3\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "", "\u{0}\u{1}"] {
            #expect(HTTPRequest.parse(head: Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func splitsAddresses() throws {
        #expect(try HTTPServer.split("127.0.0.1:9153") == ("127.0.0.1", 9153))
        #expect(try HTTPServer.split("[::1]:0") == ("::1", 0))
        #expect(try HTTPServer.split("0.0.0.0:65535") == ("0.0.0.0", 65535))
        for bad in ["127.0.0.1", ":9153", "[::1]9153", "::1:9153x", "host:70000", "[::1]"] {
            #expect(throws: HTTPServerError.self, "\(bad)") { try HTTPServer.split(bad) }
        }
    }

    @Test func headEnd() {
        #expect(HTTPServer.headEnd(Array("GET / HTTP/1.1\r\n\r\nrest".utf8)) == 18)
        #expect(HTTPServer.headEnd(Array("GET / HTTP/1.1\r\n".utf8)) == nil)
    }
}
