import { z } from 'zod';
import { classifierRulesSchema } from '../classifier/rules.js';

/**
 * The shape of a Tide configuration file (DESIGN §4, `TIDE_CONFIG`). Every field is optional;
 * durations are whole seconds, at least 1. Declared once and used by the local stack, the CDK
 * stack (context `tide:config`) and every handler (through `TIDE_CONFIG_JSON`).
 */

const seconds = z.number().int().min(1);

/**
 * How long customer data is kept (docs/data.md): a closed conversation and its messages are
 * deleted (DynamoDB TTL) `messageDays` after the conversation closed. Absent: kept until erased.
 */
export const retentionSchema = z.strictObject({
  messageDays: z.number().int().min(1).max(36_500).optional(),
});

/** Adaptive inactivity's rule (queues.<q>.adaptiveInactivity; docs/priority.md). */
export const adaptiveInactivitySchema = z
  .strictObject({
    /** τ = multiplier × the customer's moving-average response time, clamped to [minSeconds, maxSeconds]. */
    multiplier: z.number().min(1).max(20).default(2),
    /** Never shorter than this (nor than `inactiveAfterSeconds` when that is shorter still). */
    minSeconds: seconds.default(90),
    /** Never longer than this, nor than the queue's `inactiveAfterSeconds`: adaptive inactivity only ever shortens it. */
    maxSeconds: seconds.default(180),
    /** A first reply to a customer who waited longer than this gets `minSeconds`: they have probably gone. */
    longFirstWaitSeconds: seconds.default(300),
  })
  .refine((a) => a.minSeconds <= a.maxSeconds, { message: 'adaptiveInactivity.minSeconds must be at most maxSeconds' });

export const queueConfigSchema = z.strictObject({
  slaSeconds: seconds.default(120),
  inactiveAfterSeconds: seconds.default(600),
  autoCloseAfterSeconds: seconds.default(86_400),
  /** Business priority of the queue; higher is answered sooner. */
  priority: z.number().int().min(-100).max(100).default(0),
  /** Sent to the customer when their "no, that's all" closes the conversation; none when absent. */
  closingMessage: z.string().min(1).max(4096).optional(),
  /** This queue's retention, over the top-level `retention` (docs/data.md). */
  retention: retentionSchema.optional(),
  /**
   * Adaptive inactivity: how long an agent's reply waits for the customer before the conversation
   * goes inactive (frees its slot), taken from this customer's own pace, and never longer than
   * `inactiveAfterSeconds`; `false`: always the fixed `inactiveAfterSeconds`. On by default, with
   * the values the simulator chose (docs/priority.md).
   */
  adaptiveInactivity: z
    .union([z.literal(false), adaptiveInactivitySchema])
    .default(() => adaptiveInactivitySchema.parse({})),
});

export const agentIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]{1,128}$/, 'agent ids are 1-128 letters, digits or _.@-');

export const agentConfigSchema = z
  .strictObject({
    id: agentIdSchema,
    name: z.string().min(1).max(200).optional(),
    queues: z.array(z.string().min(1)).min(1).default(['default']),
    preferredConcurrency: z.number().int().min(1).max(100).default(3),
    maxLoad: z.number().int().min(1).max(100).default(5),
  })
  .refine((a) => a.maxLoad >= a.preferredConcurrency, {
    message: 'maxLoad must be at least preferredConcurrency',
  });

export const genericChannelSchema = z
  .strictObject({
    /**
     * HMAC-SHA256 key for inbound and outbound signatures, given literally (the local stack, or
     * DESIGN §4's example); deployed stacks should use `secretId` instead.
     */
    secret: z.string().min(1).optional(),
    /** A Secrets Manager secret (name or ARN) whose string value is the key. */
    secretId: z.string().min(1).max(2048).optional(),
    /** Where agent replies are POSTed; without it replies are stored but not delivered. */
    outboundUrl: z.url().optional(),
  })
  .refine((c) => (c.secret === undefined) !== (c.secretId === undefined), {
    message: 'the generic channel takes exactly one of secret or secretId',
  });

/** A secret given literally (local use) or by Secrets Manager id (deployed use): exactly one. */
const oneOf = (literal: string, byId: string) => (c: Record<string, unknown>) => (c[literal] === undefined) !== (c[byId] === undefined);

const queueName = z.string().min(1).max(64);

/** Twilio (SMS, and WhatsApp through Twilio), DESIGN §4b. */
export const twilioChannelSchema = z
  .strictObject({
    accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'accountSid is AC followed by 32 hex digits'),
    authToken: z.string().min(1).optional(),
    /** A Secrets Manager secret whose string value is the auth token. */
    authTokenSecretId: z.string().min(1).max(2048).optional(),
    /** The public base URL configured in Twilio: signatures are checked against it. */
    webhookBaseUrl: z.url({ protocol: /^https?$/ }),
    from: z.string().min(1).max(64).optional(),
    messagingServiceSid: z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'messagingServiceSid is MG followed by 32 hex digits').optional(),
    apiBaseUrl: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com'),
    queue: queueName.default('default'),
  })
  .refine(oneOf('authToken', 'authTokenSecretId'), { message: 'twilio takes exactly one of authToken or authTokenSecretId' })
  .refine(oneOf('from', 'messagingServiceSid'), { message: 'twilio takes exactly one of from or messagingServiceSid' });

/** Meta: WhatsApp Cloud API, Messenger and Instagram, DESIGN §4b. */
export const metaChannelSchema = z
  .strictObject({
    appSecret: z.string().min(1).optional(),
    appSecretSecretId: z.string().min(1).max(2048).optional(),
    verifyToken: z.string().min(1).optional(),
    verifyTokenSecretId: z.string().min(1).max(2048).optional(),
    accessToken: z.string().min(1).optional(),
    accessTokenSecretId: z.string().min(1).max(2048).optional(),
    graphBaseUrl: z.url({ protocol: /^https?$/ }).default('https://graph.facebook.com'),
    graphVersion: z.string().regex(/^v\d+\.\d+$/, 'graphVersion looks like v23.0').default('v23.0'),
    whatsappPhoneNumberId: z.string().min(1).max(64).optional(),
    pageId: z.string().min(1).max(64).optional(),
    instagramAccountId: z.string().min(1).max(64).optional(),
    customerServiceWindowSeconds: seconds.default(86_400),
    queue: queueName.default('default'),
  })
  .refine(oneOf('appSecret', 'appSecretSecretId'), { message: 'meta takes exactly one of appSecret or appSecretSecretId' })
  .refine(oneOf('verifyToken', 'verifyTokenSecretId'), { message: 'meta takes exactly one of verifyToken or verifyTokenSecretId' })
  .refine(oneOf('accessToken', 'accessTokenSecretId'), { message: 'meta takes exactly one of accessToken or accessTokenSecretId' });

/** Agent presence and reactivation (an extension of DESIGN §4's shape; every field optional). */
export const routingConfigSchema = z.strictObject({
  /** All of an agent's connections gone for this long sets the agent offline. */
  presenceGraceSeconds: seconds.default(60),
  /**
   * A customer writing to an inactive conversation whose agent is offline waits this long for the
   * agent to come back before the conversation goes to the queue (the agent stays preferred).
   */
  offlineReactivationWaitSeconds: z.number().int().min(0).default(120),
  /**
   * Ramp-up after going online: one slot at once, one more every this many seconds, up to
   * preferred concurrency. 0 (the default) fills an agent at once, as DESIGN §4 promises.
   */
  rampUpSecondsPerSlot: z.number().int().min(0).default(0),
  /**
   * A routing pass that leaves room unused runs once more this long after, when the queue index
   * (eventually consistent) has caught up with conversations queued just before (0: never).
   */
  recheckAfterSeconds: z.number().int().min(0).max(900).default(2),
  /**
   * Effort-weighted load: what an inactive conversation (the customer went quiet) counts toward
   * the agent's routing load, next to 1 for an active one. 0 frees its slot entirely; LivePerson's
   * Smart Capacity uses 0.1. `maxLoad` stays a hard cap on active conversations (docs/priority.md).
   */
  inactiveLoadWeight: z.number().min(0).max(1).default(0.1),
  /**
   * Dynamic concurrency: an agent with nothing waiting on them (every conversation they hold
   * waits on the customer, or is inactive) may take this many conversations above preferred
   * concurrency from the queue, never above `maxLoad`. 0 (the default): preferred concurrency is
   * the routing limit, as DESIGN §1 defines it (docs/priority.md).
   */
  dynamicConcurrencyMargin: z.number().int().min(0).max(100).default(0),
});

/** The priority function's weights and thresholds (docs/priority.md). */
export const priorityConfigSchema = z.strictObject({
  priorityStepSeconds: z.number().min(0).default(300),
  responsivenessWeight: z.number().min(0).max(10).default(0.5),
  /** 0: a new customer ranks as the most engaged (the first-response boost, docs/priority.md). */
  defaultResponseSeconds: z.number().min(0).default(0),
  maxResponseSeconds: z.number().min(1).default(3600),
  /** A customer waiting on the agent longer than this is probably gone: ranked after fresh work. */
  staleAfterSeconds: seconds.default(3600),
  /** The last fraction of the SLA counts as "about to breach" and ranks ahead of other waiting work. */
  nearBreachFraction: z.number().min(0).max(1).default(0.25),
  /**
   * Serve what can still be saved: near-breach work first, then work still inside its SLA, then
   * breached work newest first (until `staleAfterSeconds`, the age cap). Off: breached first,
   * oldest first (docs/priority.md).
   */
  serveSaveableFirst: z.boolean().default(true),
});

/** A keyword rule that raises a conversation's business priority (shared/routing/priority-rules.ts). */
export const priorityRuleSchema = z.strictObject({
  phrases: z.array(z.string().min(1).max(200)).min(1).max(500),
  priority: z.number().int().min(-100).max(100),
  /** Only in these queues; every queue when absent. */
  queues: z.array(z.string().min(1)).optional(),
});

export const tideConfigSchema = z
  .strictObject({
    priorityRules: z.array(priorityRuleSchema).max(100).default([]),
    priority: priorityConfigSchema.default(priorityConfigSchema.parse({})),
    // Kept as written (defaults merge when the rules compile), so the config stays small enough
    // for a Lambda environment variable (docs/classifier.md).
    classifier: classifierRulesSchema.prefault({}),
    routing: routingConfigSchema.default(routingConfigSchema.parse({})),
    retention: retentionSchema.default({}),
    queues: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), queueConfigSchema).default({}),
    agents: z.array(agentConfigSchema).default([]),
    channels: z
      .strictObject({ generic: genericChannelSchema.optional(), twilio: twilioChannelSchema.optional(), meta: metaChannelSchema.optional() })
      .default({}),
  })
  .transform((config) => ({
    ...config,
    // Messages without a queue go to `default`, so it always exists.
    queues: { default: queueConfigSchema.parse({}), ...config.queues } as Record<string, z.output<typeof queueConfigSchema>>,
  }))
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    for (const agent of config.agents) {
      if (seen.has(agent.id)) ctx.addIssue({ code: 'custom', message: `agent ${agent.id} is listed twice` });
      seen.add(agent.id);
      for (const queue of agent.queues) {
        if (!Object.hasOwn(config.queues, queue)) {
          ctx.addIssue({ code: 'custom', message: `agent ${agent.id} serves unknown queue ${queue}` });
        }
      }
    }
    for (const [name, channel] of Object.entries(config.channels)) {
      const queue = (channel as { queue?: string } | undefined)?.queue;
      if (queue && !Object.hasOwn(config.queues, queue)) ctx.addIssue({ code: 'custom', message: `channels.${name} sends to unknown queue ${queue}` });
    }
  });

export type TideConfigInput = z.input<typeof tideConfigSchema>;
export type TideConfig = z.output<typeof tideConfigSchema>;
export type TwilioChannelConfig = z.output<typeof twilioChannelSchema>;
export type MetaChannelConfig = z.output<typeof metaChannelSchema>;
export type QueueConfig = z.output<typeof queueConfigSchema>;
export type AgentConfig = z.output<typeof agentConfigSchema>;
export type PriorityConfig = z.output<typeof priorityConfigSchema>;
export type PriorityRule = z.output<typeof priorityRuleSchema>;

/**
 * A queue's settings, or undefined when no such queue is configured. The one way to look a queue
 * up by a name that came from outside: a plain `config.queues[name]` finds `constructor` or
 * `__proto__` on Object.prototype (a 500 inbound, a stranded transfer).
 */
export function queueSettings(config: Pick<TideConfig, 'queues'>, name: string): QueueConfig | undefined {
  return Object.hasOwn(config.queues, name) ? config.queues[name] : undefined;
}

/** Validates a configuration, throwing an error that lists every problem. */
export function parseConfig(input: unknown): TideConfig {
  const result = tideConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid Tide configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}
