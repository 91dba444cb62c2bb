/// Objects that must live until the process exits: the HTTP endpoint, the zones watcher,
/// the state writer. Their sources and timers hold them only weakly (`unowned`).
enum KeptAlive {
    // nonisolated(unsafe): written once on the main thread before Signals.waitForever(), never read.
    nonisolated(unsafe) static var objects: [AnyObject] = []
}
