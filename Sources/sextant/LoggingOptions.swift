import ArgumentParser
import Logging

/// `--log-format` and `--log-level`, the same for every command that runs a long time.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-format"), help: ArgumentHelp("text or json (one JSON object per line).", valueName: "FORMAT"))
    var logFormat: String = "text"

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel: String = "info"

    func validate() throws {
        if Logger.Level(rawValue: logLevel.lowercased()) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if logFormat != "text" && logFormat != "json" { throw ValidationError("--log-format must be text or json, not '\(logFormat)'") }
    }

    /// Installs the process's log handler (JSON lines or text, on stderr).
    func bootstrap() { JSONLogHandler.bootstrap(level: logLevel, format: logFormat) }
}
