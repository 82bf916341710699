/** The admin console: its session endpoints (`/api/v1/console`) and the built app at `/admin`. */
export { CONSOLE_COOKIE, CONSOLE_SESSION_PREFIX, consoleSessionRoutes } from './session.js';
export { CONSOLE_DIST, consoleCsp, consoleStaticRoutes } from './static.js';
export { CONSOLE_HEADER, checkConsoleCsrf } from './csrf.js';
