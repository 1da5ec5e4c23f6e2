/**
 * Request bodies captured from the real kubectl 1.32 (a plain-HTTP stub server on loopback
 * answering discovery and recording POSTs), with the JSON Kubernetes has for the same object.
 * Test data only; not exported from the module.
 */

export interface KubectlFixture {
  command: string;
  body: string;
  /** `kubectl <command> --dry-run=client -o json`, compacted. */
  json: string;
}

export const FIXTURES: KubectlFixture[] = [
  {
    command: 'create namespace demo',
    body: 'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhwKFAoEZGVtbxIAGgAiACoAMgA4AEIAEgAaAgoAGgAiAA==',
    json: '{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"demo","creationTimestamp":null},"spec":{},"status":{}}',
  },
  {
    command: 'create deployment web --image=nginx:1.25 --replicas=3 --port=8080 -n demo',
    body:
      'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EsIBCiMKA3dlYhIAGgRkZW1vIgAqADIAOABCAFoKCgNhcHASA3dl' +
      'YhKMAQgDEgwKCgoDYXBwEgN3ZWIacgocCgASABoAIgAqADIAOABCAFoKCgNhcHASA3dlYhJSEjQKBW5naW54Egpu' +
      'Z2lueDoxLjI1KgAyCwoAEAAYkD8iACoAQgBqAHIAgAEAiAEAkAEAogEAGgAyAEIASgBSAFgAYABoAIIBAIoBAJoB' +
      'AMIBACICCgAoADgAGgwIABAAGAAgACgAOAAaACIA',
    json: '{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","namespace":"demo","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":8080}],"resources":{}}]}},"strategy":{}},"status":{}}',
  },
  {
    command: 'create deployment multi2 --image=nginx:1.25 -n demo',
    body:
      'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EsEBCikKBm11bHRpMhIAGgRkZW1vIgAqADIAOABCAFoNCgNhcHAS' +
      'Bm11bHRpMhKFAQgBEg8KDQoDYXBwEgZtdWx0aTIaaAofCgASABoAIgAqADIAOABCAFoNCgNhcHASBm11bHRpMhJF' +
      'EicKBW5naW54EgpuZ2lueDoxLjI1KgBCAGoAcgCAAQCIAQCQAQCiAQAaADIAQgBKAFIAWABgAGgAggEAigEAmgEA' +
      'wgEAIgIKACgAOAAaDAgAEAAYACAAKAA4ABoAIgA=',
    json: '{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"multi2","namespace":"demo","creationTimestamp":null,"labels":{"app":"multi2"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"multi2"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"multi2"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25","resources":{}}]}},"strategy":{}},"status":{}}',
  },
  {
    command: 'create deployment cmd --image=busybox:1.36 -n demo -- sleep 3600',
    body:
      'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EsYBCiMKA2NtZBIAGgRkZW1vIgAqADIAOABCAFoKCgNhcHASA2Nt' +
      'ZBKQAQgBEgwKCgoDYXBwEgNjbWQadgocCgASABoAIgAqADIAOABCAFoKCgNhcHASA2NtZBJWEjgKB2J1c3lib3gS' +
      'DGJ1c3lib3g6MS4zNhoFc2xlZXAaBDM2MDAqAEIAagByAIABAIgBAJABAKIBABoAMgBCAEoAUgBYAGAAaACCAQCK' +
      'AQCaAQDCAQAiAgoAKAA4ABoMCAAQABgAIAAoADgAGgAiAA==',
    json: '{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"cmd","namespace":"demo","creationTimestamp":null,"labels":{"app":"cmd"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"cmd"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"cmd"}},"spec":{"containers":[{"name":"busybox","image":"busybox:1.36","command":["sleep","3600"],"resources":{}}]}},"strategy":{}},"status":{}}',
  },
  {
    command: 'create service clusterip web --tcp=80:8080 -n demo',
    body:
      'azhzAAoNCgJ2MRIHU2VydmljZRJtCiMKA3dlYhIAGgRkZW1vIgAqADIAOABCAFoKCgNhcHASA3dlYhJCChsKBzgw' +
      'LTgwODASA1RDUBhQIgcIABCQPxoAKAASCgoDYXBwEgN3ZWIaACIJQ2x1c3RlcklQOgBCAFIAWgBgAGgAGgIKABoA' +
      'IgA=',
    json: '{"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"demo","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":"web"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}',
  },
  {
    command: 'create service nodeport np --tcp=80:8080 --node-port=30080 -n demo',
    body:
      'azhzAAoNCgJ2MRIHU2VydmljZRJrCiEKAm5wEgAaBGRlbW8iACoAMgA4AEIAWgkKA2FwcBICbnASQgodCgc4MC04' +
      'MDgwEgNUQ1AYUCIHCAAQkD8aACiA6wESCQoDYXBwEgJucBoAIghOb2RlUG9ydDoAQgBSAFoAYABoABoCCgAaACIA',
    json: '{"kind":"Service","apiVersion":"v1","metadata":{"name":"np","namespace":"demo","creationTimestamp":null,"labels":{"app":"np"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080}],"selector":{"app":"np"},"type":"NodePort"},"status":{"loadBalancer":{}}}',
  },
  {
    command: 'create service loadbalancer lb --tcp=443:8443 -n demo',
    body:
      'azhzAAoNCgJ2MRIHU2VydmljZRJvCiEKAmxiEgAaBGRlbW8iACoAMgA4AEIAWgkKA2FwcBICbGISRgodCgg0NDMt' +
      'ODQ0MxIDVENQGLsDIgcIABD7QRoAKAASCQoDYXBwEgJsYhoAIgxMb2FkQmFsYW5jZXI6AEIAUgBaAGAAaAAaAgoA' +
      'GgAiAA==',
    json: '{"kind":"Service","apiVersion":"v1","metadata":{"name":"lb","namespace":"demo","creationTimestamp":null,"labels":{"app":"lb"}},"spec":{"ports":[{"name":"443-8443","protocol":"TCP","port":443,"targetPort":8443}],"selector":{"app":"lb"},"type":"LoadBalancer"},"status":{"loadBalancer":{}}}',
  },
  {
    command: 'create service externalname ext --external-name=example.com -n demo',
    body:
      'azhzAAoNCgJ2MRIHU2VydmljZRJeCiMKA2V4dBIAGgRkZW1vIgAqADIAOABCAFoKCgNhcHASA2V4dBIzEgoKA2Fw' +
      'cBIDZXh0GgAiDEV4dGVybmFsTmFtZToAQgBSC2V4YW1wbGUuY29tWgBgAGgAGgIKABoAIgA=',
    json: '{"kind":"Service","apiVersion":"v1","metadata":{"name":"ext","namespace":"demo","creationTimestamp":null,"labels":{"app":"ext"}},"spec":{"selector":{"app":"ext"},"type":"ExternalName","externalName":"example.com"},"status":{"loadBalancer":{}}}',
  },
  {
    command: 'create quota q --hard=cpu=2,memory=1Gi,pods=10 -n demo',
    body:
      'azhzAAoTCgJ2MRINUmVzb3VyY2VRdW90YRJGChUKAXESABoEZGVtbyIAKgAyADgAQgASKwoKCgNjcHUSAwoBMgoP' +
      'CgZtZW1vcnkSBQoDMUdpCgwKBHBvZHMSBAoCMTAaABoAIgA=',
    json: '{"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"q","namespace":"demo","creationTimestamp":null},"spec":{"hard":{"cpu":"2","memory":"1Gi","pods":"10"}},"status":{}}',
  },
  {
    command: 'create quota best --hard=pods=5 --scopes=BestEffort -n demo',
    body:
      'azhzAAoTCgJ2MRINUmVzb3VyY2VRdW90YRI3ChgKBGJlc3QSABoEZGVtbyIAKgAyADgAQgASGQoLCgRwb2RzEgMK' +
      'ATUSCkJlc3RFZmZvcnQaABoAIgA=',
    json: '{"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"best","namespace":"demo","creationTimestamp":null},"spec":{"hard":{"pods":"5"},"scopes":["BestEffort"]},"status":{}}',
  },
  {
    command: 'create configmap bin --from-literal=k=v --from-file=b=<bytes 00 01 fe ff> -n demo',
    body:
      'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEiwKFwoDYmluEgAaBGRlbW8iACoAMgA4AEIAEgYKAWsSAXYaCQoBYhIEAAH+' +
      '/xoAIgA=',
    json: '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"bin","namespace":"demo","creationTimestamp":null},"data":{"k":"v"},"binaryData":{"b":"AAH+/w=="}}',
  },
  {
    command: 'create job j --image=busybox -n demo -- echo hi',
    body:
      'azhzAAoPCghiYXRjaC92MRIDSm9iEoYBChUKAWoSABoEZGVtbyIAKgAyADgAQgASYzJhChAKABIAGgAiACoAMgA4' +
      'AEIAEk0SKgoBahIHYnVzeWJveBoEZWNobxoCaGkqAEIAagByAIABAIgBAJABAKIBABoFTmV2ZXIyAEIASgBSAFgA' +
      'YABoAIIBAIoBAJoBAMIBABoIIAAoADAAOgAaACIA',
    json: '{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"j","namespace":"demo","creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"j","image":"busybox","command":["echo","hi"],"resources":{}}],"restartPolicy":"Never"}}},"status":{}}',
  },
];

/**
 * Bodies kubectl 1.33 sent to Berth (read from its `-v=8` request dump), with the JSON the same
 * kubectl prints for the command with `--dry-run=client -o json`. The kinds Berth does not
 * serve yet were answered 404, after the body had been captured.
 */
export const FIXTURES_133: KubectlFixture[] = [
  {
    command: 'create role pod-reader --verb=get,list --resource=pods --resource-name=web -n demo',
    body:
      'azhzAAokChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgRSb2xlEjoKHgoKcG9kLXJlYWRlchIAGgRkZW1v' +
      'IgAqADIAOABCABIYCgNnZXQKBGxpc3QSABoEcG9kcyIDd2ViGgAiAA==',
    json: '{"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"pod-reader","namespace":"demo","creationTimestamp":null},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"],"resourceNames":["web"]}]}',
  },
  {
    command: 'create role deploy-scaler --verb=update --resource=deployments.apps/scale -n demo',
    body:
      'azhzAAokChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgRSb2xlEkYKIQoNZGVwbG95LXNjYWxlchIAGgRk' +
      'ZW1vIgAqADIAOABCABIhCgZ1cGRhdGUSBGFwcHMaEWRlcGxveW1lbnRzL3NjYWxlGgAiAA==',
    json: '{"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"deploy-scaler","namespace":"demo","creationTimestamp":null},"rules":[{"verbs":["update"],"apiGroups":["apps"],"resources":["deployments/scale"]}]}',
  },
  {
    command:
      'rolebinding rb --role=pod-reader --user=dave --group=devs --serviceaccount=demo:bot -n demo',
    body:
      'azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtSb2xlQmluZGluZxK9AQoWCgJyYhIAGgRkZW1v' +
      'IgAqADIAOABCABIpCgRVc2VyEhlyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvGgRkYXZlIgASKgoFR3JvdXASGXJi' +
      'YWMuYXV0aG9yaXphdGlvbi5rOHMuaW8aBGRldnMiABIdCg5TZXJ2aWNlQWNjb3VudBIAGgNib3QiBGRlbW8aLQoZ' +
      'cmJhYy5hdXRob3JpemF0aW9uLms4cy5pbxIEUm9sZRoKcG9kLXJlYWRlchoAIgA=',
    json: '{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"rb","namespace":"demo","creationTimestamp":null},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"dave"},{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"devs"},{"kind":"ServiceAccount","name":"bot","namespace":"demo"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"}}',
  },
  {
    command: 'create clusterrole agg --aggregation-rule=rbac.example.com/aggregate=true',
    body:
      'azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtDbHVzdGVyUm9sZRI9ChMKA2FnZxIAGgAiACoA' +
      'MgA4AEIAGiYKJAoiChpyYmFjLmV4YW1wbGUuY29tL2FnZ3JlZ2F0ZRIEdHJ1ZRoAIgA=',
    json: '{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"agg","creationTimestamp":null},"rules":null,"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"rbac.example.com/aggregate":"true"}}]}}',
  },
  {
    command: 'create clusterrolebinding crb --clusterrole=ns-reader --user=erin --group=ops',
    body:
      'azhzAAoyChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEhJDbHVzdGVyUm9sZUJpbmRpbmcSoAEKEwoDY3Ji' +
      'EgAaACIAKgAyADgAQgASKQoEVXNlchIZcmJhYy5hdXRob3JpemF0aW9uLms4cy5pbxoEZXJpbiIAEikKBUdyb3Vw' +
      'EhlyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvGgNvcHMiABozChlyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvEgtD' +
      'bHVzdGVyUm9sZRoJbnMtcmVhZGVyGgAiAA==',
    json: '{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"crb","creationTimestamp":null},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"erin"},{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"ops"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"ns-reader"}}',
  },
  {
    command: 'create clusterrole ns-reader --verb=get,list,watch --resource=namespaces',
    body:
      'azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtDbHVzdGVyUm9sZRI9ChkKCW5zLXJlYWRlchIA' +
      'GgAiACoAMgA4AEIAEiAKA2dldAoEbGlzdAoFd2F0Y2gSABoKbmFtZXNwYWNlcxoAIgA=',
    json: '{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"ns-reader","creationTimestamp":null},"rules":[{"verbs":["get","list","watch"],"apiGroups":[""],"resources":["namespaces"]}]}',
  },
  {
    command:
      'create clusterrole health --verb=get --non-resource-url=/healthz --non-resource-url=/readyz',
    body:
      'azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtDbHVzdGVyUm9sZRIyChYKBmhlYWx0aBIAGgAi' +
      'ACoAMgA4AEIAEhgKA2dldCoIL2hlYWx0aHoqBy9yZWFkeXoaACIA',
    json: '{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"health","creationTimestamp":null},"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz","/readyz"]}]}',
  },
  {
    command: 'create poddisruptionbudget pdb --selector=app=web --min-available=50% -n demo',
    body:
      'azhzAAogCglwb2xpY3kvdjESE1BvZERpc3J1cHRpb25CdWRnZXQSQAoXCgNwZGISABoEZGVtbyIAKgAyADgAQgAS' +
      'GQoJCAEQABoDNTAlEgwKCgoDYXBwEgN3ZWIaCggAGAAgACgAMAAaACIA',
    json: '{"kind":"PodDisruptionBudget","apiVersion":"policy/v1","metadata":{"name":"pdb","namespace":"demo","creationTimestamp":null},"spec":{"minAvailable":"50%","selector":{"matchLabels":{"app":"web"}}},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}',
  },
  {
    command: 'create secret generic s --from-literal=a=b -n demo',
    body: 'azhzAAoMCgJ2MRIGU2VjcmV0EiEKFQoBcxIAGgRkZW1vIgAqADIAOABCABIGCgFhEgFiGgAaACIA',
    json: '{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","namespace":"demo","creationTimestamp":null},"data":{"a":"Yg=="}}',
  },
  {
    command: 'create serviceaccount sa -n demo',
    body: 'azhzAAoUCgJ2MRIOU2VydmljZUFjY291bnQSGAoWCgJzYRIAGgRkZW1vIgAqADIAOABCABoAIgA=',
    json: '{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa","namespace":"demo","creationTimestamp":null}}',
  },
];

/** `kubectl auth …` has no dry run; the expected JSON is Kubernetes' shape for the review. */
export const REVIEWS: KubectlFixture[] = [
  {
    command: 'auth can-i create deployments.apps -n demo',
    body:
      'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSRwoQCgASABoA' +
      'IgAqADIAOABCABIpCicKBGRlbW8SBmNyZWF0ZRoEYXBwcyIAKgtkZXBsb3ltZW50czIAOgAaCAgAEgAaACAAGgAi' +
      'AA==',
    json: '{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{},"spec":{"resourceAttributes":{"namespace":"demo","verb":"create","group":"apps","resource":"deployments"}},"status":{"allowed":false}}',
  },
  {
    command: 'auth can-i list pods/log --subresource=log -n demo',
    body:
      'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSQAoQCgASABoA' +
      'IgAqADIAOABCABIiCiAKBGRlbW8SBGxpc3QaACIAKgRwb2RzMgNsb2c6A2xvZxoICAASABoAIAAaACIA',
    json: '{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{},"spec":{"resourceAttributes":{"namespace":"demo","verb":"list","resource":"pods","subresource":"log","name":"log"}},"status":{"allowed":false}}',
  },
  {
    command: "auth can-i '*' '*' --all-namespaces",
    body:
      'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSMAoQCgASABoA' +
      'IgAqADIAOABCABISChAKABIBKhoAIgAqASoyADoAGggIABIAGgAgABoAIgA=',
    json: '{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{},"spec":{"resourceAttributes":{"verb":"*","resource":"*"}},"status":{"allowed":false}}',
  },
  {
    command: 'auth can-i get /healthz',
    body:
      'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSLwoQCgASABoA' +
      'IgAqADIAOABCABIREg8KCC9oZWFsdGh6EgNnZXQaCAgAEgAaACAAGgAiAA==',
    json: '{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{},"spec":{"nonResourceAttributes":{"path":"/healthz","verb":"get"}},"status":{"allowed":false}}',
  },
  {
    command: 'auth whoami',
    body:
      'azhzAAotChhhdXRoZW50aWNhdGlvbi5rOHMuaW8vdjESEVNlbGZTdWJqZWN0UmV2aWV3EhoKEAoAEgAaACIAKgAy' +
      'ADgAQgASBgoECgASABoAIgA=',
    json: '{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{},"status":{"userInfo":{}}}',
  },
];

/** Every captured body, for the fuzz tests. */
export const CAPTURED_BODIES = [...FIXTURES, ...FIXTURES_133, ...REVIEWS].map((f) => f.body);
