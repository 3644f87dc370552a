/**
 * Imported first by main.ts, before any AWS SDK client exists. On Node 20 every client would warn
 * (10 lines, once per process) that SDK releases from 2027 need Node 22. That is known and said
 * where it belongs (`engines` in package.json, the README): Node 20 runs the local stack, Lambda
 * runs Node 22. The SDK's own switch turns off that one warning and no other; setting the variable
 * to anything else than `true` shows it again.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
