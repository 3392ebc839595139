import type { Service } from 'kubernetes-types/core/v1';
import { labels, NAME } from './names';

/** The Services: the platform's ClusterIP ones, and the local overlay's Postgres and Redis. */

export function service(name: string, component: string, port: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: labels(name, component) },
    spec: { type: 'ClusterIP', selector: { [NAME]: name }, ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }] },
  };
}

/** Names and ports of a local overlay's in-cluster services. */
export function localService(name: string, component: string, port: number, portName: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { ...labels(name, component) } },
    spec: { selector: { [NAME]: name }, ports: [{ name: portName, port, targetPort: portName }] },
  };
}
