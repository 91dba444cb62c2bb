/// What a reflector tells its owner, in order, from its own thread.
public enum ReflectorEvent<Item: Decodable & Sendable>: Sendable {
    /// A complete LIST: the collection is exactly these objects now (objects that are not
    /// in it were deleted while nobody watched).
    case replaced([Decoded<Item>])
    /// ADDED or MODIFIED.
    case upserted(Decoded<Item>)
    case deleted(Decoded<Item>)
    /// The server does not serve this resource to us (404: not installed; 403: RBAC).
    /// Sent once per outage; a later `replaced` means it is back.
    case unavailable(KubeStatus)
}
