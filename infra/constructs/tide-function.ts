import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HandlerName } from '../../shared/contract/routes.js';

export interface TideFunctionProps {
  handler: HandlerName;
  /** Repository root: holds `functions/`, `package-lock.json` and `tsconfig.json`. */
  projectRoot: string;
  environment: Record<string, string>;
  /** @default 512 */
  memorySize?: number;
  /** @default 29 s (the API Gateway integration limit) */
  timeout?: Duration;
}

/**
 * One Lambda handler (`functions/<handler>.ts`, export `handler`), bundled by the local esbuild
 * (never Docker) into an ESM file for Node.js 22 on arm64. The AWS SDK is bundled rather than
 * taken from the runtime, so AWS runs the SDK versions package-lock.json pins and the tests ran.
 */
export class TideFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TideFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    // An own role instead of AWSLambdaBasicExecutionRole, whose logs permissions cover every log
    // group in the account: this one may write to its function's log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Tide ${props.handler} function`,
    });
    this.logGroup.grantWrite(this.role);
    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(props.projectRoot, 'functions', `${props.handler}.ts`),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(29),
      logGroup: this.logGroup,
      role: this.role,
      description: `Tide ${props.handler}`,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        minify: true,
        sourceMap: true,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        // ESM output has no `require`; some CommonJS dependencies still call it.
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
        externalModules: [],
        tsconfig: path.join(props.projectRoot, 'tsconfig.json'),
        forceDockerBundling: false,
      },
    });
  }
}
