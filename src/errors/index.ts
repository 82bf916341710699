export { AppError, isAppError, type FieldError } from './app-error.js';
export { ERROR_CODES, problemType, type ErrorCode } from './codes.js';
