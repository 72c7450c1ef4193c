// `npm run token -- [--sub candidate-1] [--role candidate|proctor|admin] [--org org-1] [--expires 12h]`
// Prints a development HS256 token signed with JWT_SECRET (or the documented development default), with an
// expiry (verifiers refuse tokens without one) and the iss/aud of JWT_ISSUER/JWT_AUDIENCE when they are set,
// as the services require them when NODE_ENV=production (docker compose).
import { parseArgs } from 'node:util';
import { signDevelopmentToken } from '@earshot/auth';
import { ROLES, type Role } from '@earshot/contracts';

const DEVELOPMENT_SECRET = 'earshot-development-secret-change-me';
const { values } = parseArgs({
  options: {
    sub: { type: 'string', default: 'candidate-1' },
    role: { type: 'string', default: 'candidate' },
    org: { type: 'string', default: 'org-1' },
    expires: { type: 'string', default: '12h' },
  },
});
if (!ROLES.includes(values.role as Role)) {
  process.stderr.write(`--role must be one of ${ROLES.join(', ')}\n`);
  process.exit(2);
}
signDevelopmentToken({
  userId: values.sub,
  role: values.role as Role,
  orgId: values.org,
  expiresIn: values.expires,
  secret: process.env.JWT_SECRET ?? DEVELOPMENT_SECRET,
  ...(process.env.JWT_ISSUER ? { issuer: process.env.JWT_ISSUER } : {}),
  ...(process.env.JWT_AUDIENCE ? { audience: process.env.JWT_AUDIENCE } : {}),
})
  .then((token) => process.stdout.write(`${token}\n`))
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
