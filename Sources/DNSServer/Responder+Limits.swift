import AnswerTable
import DNSWire

extension Responder {
    /// REFUSED for a client outside `--allow`, with the question echoed (and an OPT when
    /// the query had one); nothing for a response or a runt.
    public static func refuse(to query: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer,
                              out: UnsafeMutableRawBufferPointer) -> Int {
        guard query.count >= Wire.Header.size else { return 0 }
        if query.u16(at: Wire.Header.flags) & Wire.Flag.qr != 0 { return 0 }
        guard let question = try? QueryParser.question(in: query, lowercasedInto: scratch) else {
            return writeBare(query: query, rcode: .refused, out: out)
        }
        let edns = (try? QueryParser.edns(in: query, after: question)) ?? nil
        return writeReply(query: query, question: question, edns: edns, rcode: .refused, aa: false, out: out)
    }

    /// Cuts a written reply to its header and question with TC set (the rate limiter's
    /// slip): a real client asks again over TCP. The question was copied as received, so
    /// its end is found by walking its labels.
    public static func truncate(reply out: UnsafeMutableRawBufferPointer, length: Int) -> Int {
        guard length >= Wire.Header.size else { return length }
        var o = Wire.Header.size
        if UnsafeRawBufferPointer(out).u16(at: Wire.Header.qdcount) == 1 {
            while o < length {
                let l = Int(out[o])
                if l == 0 { o += 1; break }
                if l & Int(Wire.Name.pointerMask) != 0 { o += 2; break }
                o += 1 + l
            }
            o += Wire.Question.fixedSize
            guard o <= length else { return length }
        }
        let flags = UnsafeRawBufferPointer(out).u16(at: Wire.Header.flags) | Wire.Flag.tc
        out.put16(flags, at: Wire.Header.flags)
        out.put16(0, at: Wire.Header.ancount)
        out.put16(0, at: Wire.Header.nscount)
        out.put16(0, at: Wire.Header.arcount)
        return o
    }
}
