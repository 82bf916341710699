/**
 * A process that logs LINES lines through the server's log output (stdout, and LOG_FILE when
 * CHILD_LOG_FILE is set) and calls process.exit() at once: test/observability/log-file.test.ts
 * checks that every line reached stdout and the file.
 */
import { createLogOutput } from '../../src/observability/logger.js';
import { testConfig } from './config.js';

const config = testConfig({ LOG_LEVEL: 'info', ...(process.env.CHILD_LOG_FILE ? { LOG_FILE: process.env.CHILD_LOG_FILE } : {}) });
const { logger } = createLogOutput(config);
const lines = Number(process.env.LINES);
for (let n = 0; n < lines; n++) logger.info({ n }, 'line');
process.exit(0);
