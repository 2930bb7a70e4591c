import { AgentError } from '../errors';

/** The SigV4 request date, YYYYMMDDTHHMMSSZ in UTC. */
export function formatAmzDate(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new AgentError('SIGNING_DATE_INVALID', 'signing date is not a valid date', {
      hint: 'pass a valid Date as signingDate',
    });
  }
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Parses an X-Amz-Date value; undefined unless it is exactly YYYYMMDDTHHMMSSZ naming a
 * real instant (no 20240230, no 25:00).
 */
export function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return formatAmzDate(date) === value ? date : undefined;
}

/** The credential scope: YYYYMMDD/<region>/<service>/aws4_request. */
export function createCredentialScope(amzDate: string, region: string, service: string): string {
  return `${amzDate.slice(0, 8)}/${region}/${service}/aws4_request`;
}
