import type { Identity } from '@zigong/platform';
import { ADMIN_SCOPE, requireReader, requireSignedIn } from './access';
import type { AppPublishInput, AppsService, AppVersionRow, AppVersionStatus } from './apps.service';
import { RegistryErrorCode, registryError } from './errors';
import type { RegistryContext } from './registry.resolver';

/** Publishing, activating and retiring app versions: any app's, so one scope for the front-ends' CI. */
export const APPS_PUBLISH_SCOPE = 'apps:publish';

/** apps:publish or registry:admin. */
export function requireAppPublisher(identity: Identity | null): Identity {
  const who = requireSignedIn(identity);
  if (!who.scopes.includes(ADMIN_SCOPE) && !who.scopes.includes(APPS_PUBLISH_SCOPE)) {
    throw registryError(RegistryErrorCode.FORBIDDEN, `Changing app manifests needs the scope ${APPS_PUBLISH_SCOPE} (or ${ADMIN_SCOPE}).`, { requiredScope: APPS_PUBLISH_SCOPE });
  }
  return who;
}

type Version = { variant: string; app: string; version: string };

/** The app-manifest part of registry.graphql (apps, appVersion, publishApp, activateApp, retireApp), merged beside registryResolvers. */
export function appsResolvers(apps: AppsService, { allowAnonymousReads = false } = {}) {
  const read = (identity: Identity | null) => {
    // A token that came is always judged: only its absence may be let through.
    if (identity || !allowAnonymousReads) requireReader(identity);
  };
  return {
    Query: {
      apps: (_: unknown, { variant, status }: { variant: string; status?: AppVersionStatus | null }, { identity }: RegistryContext) => {
        read(identity);
        return apps.list(variant, status);
      },
      appVersion: (_: unknown, { variant, app, version }: Version, { identity }: RegistryContext) => {
        read(identity);
        return apps.get(variant, app, version);
      },
    },
    Mutation: {
      publishApp: (_: unknown, { input }: { input: AppPublishInput }, { identity }: RegistryContext) => apps.publish(input, requireAppPublisher(identity).sub),
      activateApp: (_: unknown, { variant, app, version }: Version, { identity }: RegistryContext) => {
        requireAppPublisher(identity);
        return apps.activate(variant, app, version);
      },
      retireApp: (_: unknown, { variant, app, version }: Version, { identity }: RegistryContext) => {
        requireAppPublisher(identity);
        return apps.retire(variant, app, version);
      },
    },
    AppVersion: {
      operations: (version: AppVersionRow) => apps.operations(version.id),
    },
  };
}
