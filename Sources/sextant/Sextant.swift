import ArgumentParser

/// The command-line entry point.
struct Sextant: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sextant",
        abstract: "Multicluster DNS for Kubernetes cluster sets: answers clusterset.local names.",
        subcommands: [Serve.self, Check.self, Show.self, GatewayCommand.self]
    )
}
