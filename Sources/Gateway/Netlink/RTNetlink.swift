/// rtnetlink's numbers (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
/// linux/fib_rules.h, linux/neighbour.h), named here because Swift's Glibc module does
/// not carry the kernel's uapi headers.
enum RTNetlink {
    // Message types.
    static let done: UInt16 = 3
    static let error: UInt16 = 2
    static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18
    static let newAddr: UInt16 = 20, delAddr: UInt16 = 21, getAddr: UInt16 = 22
    static let newRoute: UInt16 = 24, delRoute: UInt16 = 25, getRoute: UInt16 = 26
    static let newNeigh: UInt16 = 28, delNeigh: UInt16 = 29, getNeigh: UInt16 = 30
    static let newRule: UInt16 = 32, delRule: UInt16 = 33, getRule: UInt16 = 34

    // Header flags.
    static let request: UInt16 = 0x1
    static let multi: UInt16 = 0x2
    static let ack: UInt16 = 0x4
    static let dump: UInt16 = 0x300
    static let replace: UInt16 = 0x100
    static let excl: UInt16 = 0x200
    static let create: UInt16 = 0x400
    static let append: UInt16 = 0x800

    // Sizes: nlmsghdr, then each family's fixed header.
    static let headerSize = 16
    static let ifinfoSize = 16
    static let ifaddrSize = 8
    static let rtmsgSize = 12
    static let ruleSize = 12
    static let ndmsgSize = 12

    // Link attributes.
    static let iflaAddress: UInt16 = 1, iflaIfname: UInt16 = 3, iflaMTU: UInt16 = 4, iflaLink: UInt16 = 5
    static let iflaLinkinfo: UInt16 = 18
    static let iflaInfoKind: UInt16 = 1, iflaInfoData: UInt16 = 2
    static let vxlanID: UInt16 = 1, vxlanLink: UInt16 = 3, vxlanLocal: UInt16 = 4, vxlanLearning: UInt16 = 7, vxlanPort: UInt16 = 15
    static let iffUp: UInt32 = 0x1

    // Address attributes.
    static let ifaAddress: UInt16 = 1, ifaLocal: UInt16 = 2

    // Route attributes and values.
    static let rtaDst: UInt16 = 1, rtaOif: UInt16 = 4, rtaGateway: UInt16 = 5, rtaPrefsrc: UInt16 = 7, rtaTable: UInt16 = 15
    static let protoStatic: UInt8 = 4
    static let scopeUniverse: UInt8 = 0, scopeLink: UInt8 = 253
    static let typeUnicast: UInt8 = 1
    static let flagOnlink: UInt32 = 4

    // Rule attributes.
    static let fraPriority: UInt16 = 6, fraTable: UInt16 = 15
    static let actionToTable: UInt8 = 1

    // Neighbour attributes.
    static let ndaDst: UInt16 = 1, ndaLladdr: UInt16 = 2
    static let nudNoarp: UInt16 = 0x40, nudPermanent: UInt16 = 0x80
    static let ntfSelf: UInt8 = 0x02

    static let afInet: UInt8 = 2
    static let afBridge: UInt8 = 7
}
