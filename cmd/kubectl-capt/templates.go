package main

const templatesUsage = `usage: kubectl capt templates < saved.yaml | kubectl apply --server-side -f -

Reads upstream CAPT's CaptControlPlaneTemplates (kubectl get
captcontrolplanetemplates -A -o yaml, saved before the upgrade) and writes
them as CAPTControlPlaneTemplates, the kind Cluster API's ClusterClass
needs: name, namespace, labels, annotations and spec, nothing the API
server set (docs/upgrade.md). Other objects are left out.`
