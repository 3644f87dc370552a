import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs (Powertools). Never log message text, tokens or secrets: log ids, codes
 * and counts only.
 */
export const logger = new Logger({ serviceName: 'tide' });
