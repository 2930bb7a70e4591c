import type { LocalResources } from './types';

/** The served resources as plain JSON (ARNs, ids, names; certificates summarised), for users and tests. */
export function describeResources(resources: LocalResources) {
  return {
    region: resources.region,
    account: resources.account,
    trustAnchors: resources.trustAnchors.map((anchor) => ({
      logicalId: anchor.logicalId,
      name: anchor.name,
      trustAnchorId: anchor.trustAnchorId,
      arn: anchor.arn,
      enabled: anchor.enabled,
      certificates: anchor.certificates.map((certificate) => ({
        subject: certificate.subject,
        serialNumber: certificate.serialNumber,
        notAfter: certificate.notAfter.toISOString(),
      })),
    })),
    profiles: resources.profiles.map((profile) => ({
      logicalId: profile.logicalId,
      name: profile.name,
      profileId: profile.profileId,
      arn: profile.arn,
      enabled: profile.enabled,
      durationSeconds: profile.durationSeconds,
      roleArns: profile.roleArns,
      acceptRoleSessionName: profile.acceptRoleSessionName,
    })),
    roles: resources.roles.map((role) => ({
      logicalId: role.logicalId,
      name: role.name,
      arn: role.arn,
      roleId: role.roleId,
    })),
    crls: resources.crls.map((crl) => ({
      logicalId: crl.logicalId,
      name: crl.name,
      crlId: crl.crlId,
      arn: crl.arn,
      enabled: crl.enabled,
      trustAnchorArn: crl.trustAnchorArn ?? null,
    })),
    warnings: resources.warnings ?? [],
  };
}
