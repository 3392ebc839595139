import type { Container, EnvVar, PodSpec, Probe, SecurityContext, TopologySpreadConstraint, Volume } from 'kubernetes-types/core/v1';
import { IMAGE } from '../model';
import { NAME } from './names';

/** The parts of a pod every process of the image shares: security, /tmp, environment, spread, probes. */

export const CONTAINER_SECURITY: SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/** Pod settings every process of the image runs with. */
export function podBase(): Pick<PodSpec, 'enableServiceLinks' | 'automountServiceAccountToken' | 'securityContext'> {
  return {
    enableServiceLinks: false,
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
  };
}

export const TMP_VOLUME: Volume = { name: 'tmp', emptyDir: { sizeLimit: '16Mi' } };
export const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' };

export const secretEnv = (name: string, secret: string, key: string, optional?: boolean): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key, ...(optional ? { optional } : {}) } },
});
export const configEnv = (name: string, configMap: string, key = name, optional?: boolean): EnvVar => ({
  name,
  valueFrom: { configMapKeyRef: { name: configMap, key, ...(optional ? { optional } : {}) } },
});
export const value = (name: string, v: string): EnvVar => ({ name, value: v });

/** Spread over zones where there are several (soft), and over nodes (hard, tainted nodes not counted). */
export function spread(name: string): TopologySpreadConstraint[] {
  const selector = { matchLabels: { [NAME]: name } };
  return [
    { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector, matchLabelKeys: ['pod-template-hash'] },
    {
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'DoNotSchedule',
      nodeTaintsPolicy: 'Honor',
      labelSelector: selector,
      matchLabelKeys: ['pod-template-hash'],
    },
  ];
}

export function probes(): Pick<Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  const get = (path: string): Probe['httpGet'] => ({ path, port: 'http' });
  return {
    startupProbe: { httpGet: get('/health'), periodSeconds: 2, failureThreshold: 30 },
    livenessProbe: { httpGet: get('/health'), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    readinessProbe: { httpGet: get('/ready'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
  };
}

/** The image's processes run under tini (its ENTRYPOINT): containers set `args`, never `command`. */
export const run = (...argv: string[]) => ({ image: IMAGE, args: argv });
