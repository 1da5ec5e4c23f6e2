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
export const CAPTURED_BODIES = [...FIXTURES, ...REVIEWS].map((f) => f.body);
