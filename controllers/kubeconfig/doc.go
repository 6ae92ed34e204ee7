// Package kubeconfig is the controller that writes each control plane's
// Cluster API kubeconfig Secret, "<cluster>-kubeconfig": the EKS endpoint
// and CA the control plane recorded, and a bearer token Cluster API's
// ClusterCache can use (it refuses exec plugins). EKS tokens live 15
// minutes; the controller signs a new one before the old one expires, one
// write per renewal, and nothing in between. The credentials are those
// provider-terraform already uses: the AWS ini in the Secret that the
// template's ProviderConfig names, read by name (no Secret cache).
package kubeconfig
