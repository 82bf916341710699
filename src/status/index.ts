export { createStatusPage, STATUS_CACHE_MS, type StatusPage } from './service.js';
export { statusRoutes } from './routes.js';
export { deriveStatus, genericTitle, type StatusView, type ComponentStatus } from './derive.js';
