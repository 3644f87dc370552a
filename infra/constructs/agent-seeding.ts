import { CustomResource, Validations } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import type { AgentConfig } from '../../shared/config/schema.js';
import { Concern, logicalIdOf } from './concern.js';
import type { TideFunction } from './tide-function.js';

export interface AgentSeedingProps {
  /** The `seed-agents` handler, which writes the configured agents (its table grants are the caller's). */
  handler: TideFunction;
  /** The configured agents: a change runs the handler again at the next deployment. */
  agents: readonly AgentConfig[];
}

/** Writes the configured agents at deployment time, through a custom resource. */
export class AgentSeeding extends Concern {
  constructor(scope: Construct, id: string, props: AgentSeedingProps) {
    super(scope, id);
    const provider = new cr.Provider(this, 'SeedAgentsProvider', { onEventHandler: props.handler.fn });
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The CDK custom-resource framework's own function; it only writes its logs and invokes seed-agents.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.handler.fn)}.Arn>:*]`,
        reason: 'Added by the custom-resource framework: invoke versions and aliases of the one seed-agents function.',
      },
    );
    new CustomResource(this, 'AgentProfiles', {
      serviceToken: provider.serviceToken,
      properties: { agents: JSON.stringify(props.agents) },
    });
  }
}
