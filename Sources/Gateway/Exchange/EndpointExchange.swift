/// Where gateways meet: each publishes its cluster's Cluster and Endpoint and reads the
/// others'. A folder shared by the gateways (`--exchange DIR`) or the broker's
/// namespace on a Kubernetes API server.
public protocol EndpointExchange: AnyObject {
    /// Starts watching; `onChange` runs (on any queue) whenever the remote view may differ.
    func start(onChange: @escaping @Sendable () -> Void) throws(GatewayError)
    /// Writes (or rewrites) this cluster's objects.
    func publish(cluster: ClusterObject, endpoint: EndpointObject) throws(GatewayError)
    /// Removes this cluster's objects (a clean exit: the others drop their peer).
    func withdraw(clusterID: String, endpointName: String) throws(GatewayError)
    /// Every Endpoint and Cluster known now, this cluster's included.
    func current() -> (endpoints: [EndpointObject], clusters: [ClusterObject])
    func stop()
}
