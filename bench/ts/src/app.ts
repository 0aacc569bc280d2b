// The TypeScript side of the whole-process synth benchmark (bench/run.sh): one stack, Bench, with N functions
// shipped blue/green, defined directly with aws-cdk-lib. It defines what bench/goapp defines with
// bluegreen.NewDeployment and its default green alarms, construct for construct (same ids, so the same logical
// ids), and does the same synth-time work: the shared application, the alarm switch, the cdk-nag
// metadata, the alias's dependencies, reading each alarm's timing and the detection-time arithmetic.
//
// Context: bench:functions (N, default 1) and bench:asset (folder holding the handler's bootstrap).
import {
  Annotations, App, Aws, CfnResource, Duration, Names, RemovalPolicy, Stack,
  aws_cloudwatch as cloudwatch, aws_codedeploy as codedeploy, aws_lambda as lambda,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

const PERIOD = Duration.seconds(60);
const MIN_INVOCATIONS = 100;
const METRIC_LAG_S = 120; // alarms.MetricLag
const ALARM_CHECK_DELAY_S = 60; // alarms.AlarmCheckDelay
const BAKE_S = 300; // Canary10Percent5Minutes
const DEFAULT_TIMEOUT_MS = 3000; // Lambda's default timeout

interface Timing { periodS: number; evaluate: number; datapoints: number }

function detection(t: Timing): number {
  return t.datapoints * t.periodS + METRIC_LAG_S + ALARM_CHECK_DELAY_S;
}

// rate is 100 × errors ÷ max(invocations, min), with missing datapoints read as 0 (alarms.rateExpression).
function rate(errors: string, invocations: string): string {
  const inv = `FILL(${invocations}, 0)`;
  return `(100 * FILL(${errors}, 0) / IF(${inv} < ${MIN_INVOCATIONS}, ${MIN_INVOCATIONS}, ${inv}))`;
}

// readTiming reads an alarm's period and M of N from its CloudFormation definition (alarms.ReadTiming).
function readTiming(alarm: cloudwatch.Alarm): Timing | undefined {
  const cfn = alarm.node.defaultChild as cloudwatch.CfnAlarm;
  let periodS = cfn.period ?? 0;
  if (cfn.metrics) {
    const metrics = Stack.of(alarm).resolve(cfn.metrics) as any[];
    for (const m of metrics ?? []) {
      periodS = Math.max(periodS, m?.period ?? 0, m?.metricStat?.period ?? 0);
    }
  }
  const evaluate = cfn.evaluationPeriods ?? 0;
  const datapoints = cfn.datapointsToAlarm ?? evaluate;
  return periodS > 0 && datapoints > 0 ? { periodS, evaluate, datapoints } : undefined;
}

class ProtectedFunction extends Construct {
  constructor(scope: Construct, id: string, code: lambda.Code, index: number) {
    super(scope, id);
    const stack = Stack.of(this);
    const fn = new lambda.Function(this, 'Function', {
      code,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      environment: { INDEX: String(index) },
    });
    const version = fn.currentVersion;
    version.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    const alias = new lambda.Alias(this, 'Alias', { aliasName: 'live', version });

    // Green alarms: AWS/Lambda metrics of the requests green served through the alias (ExecutedVersion).
    const green = new Construct(this, 'GreenAlarms');
    const prefix = `${Aws.STACK_NAME}-${Names.uniqueResourceName(green, { maxLength: 80, separator: '-' })}-`;
    const functionName = alias.lambda.functionName;
    const resource = `${functionName}:${alias.aliasName}`;
    const metric = (name: string, statistic: string, isGreen: boolean) => new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: name,
      dimensionsMap: isGreen
        ? { FunctionName: functionName, Resource: resource, ExecutedVersion: version.version }
        : { FunctionName: functionName, Resource: resource },
      statistic,
      period: PERIOD,
      label: `${isGreen ? 'green' : 'alias'} ${name}`,
    });
    const ge = metric('Errors', 'Sum', true);
    const gi = metric('Invocations', 'Sum', true);
    const ae = metric('Errors', 'Sum', false);
    const ai = metric('Invocations', 'Sum', false);
    const alarm = (id: string, m: cloudwatch.IMetric, threshold: number, evaluate: number, datapoints: number,
      description: string) => new cloudwatch.Alarm(green, id, {
      alarmName: `${prefix}${id}-v${version.version}`,
      metric: m,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: evaluate,
      datapointsToAlarm: datapoints,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    const errorRate = alarm('ErrorRate', new cloudwatch.MathExpression({
      expression: rate('ge', 'gi'), usingMetrics: { ge, gi }, period: PERIOD, label: 'green error rate (%)',
    }), 5, 4, 1, `Green's error rate is above 5% of its invocations (counting at least ${MIN_INVOCATIONS} ` +
      'invocations per 1m0s): CodeDeploy rolls back to blue.');
    const relative = alarm('RelativeErrorRate', new cloudwatch.MathExpression({
      expression: `${rate('ge', 'gi')} - ${rate('ae', 'ai')}`, usingMetrics: { ae, ai, ge, gi }, period: PERIOD,
      label: 'green minus alias error rate (points)',
    }), 2, 5, 2, "Green's error rate exceeds the alias's by more than 2 percentage points: CodeDeploy rolls back " +
      'to blue.');
    const throttles = alarm('Throttles', metric('Throttles', 'Sum', true), 5, 1, 1,
      'Green had more than 5 throttled requests per 1m0s: CodeDeploy rolls back to blue.');
    const timeoutMs = fn.timeout?.toMilliseconds() ?? DEFAULT_TIMEOUT_MS;
    const budgetMs = Math.round(timeoutMs * 0.8);
    const latency = alarm('Latency', metric('Duration', 'p99', true), budgetMs, 3, 2,
      `Green's p99 latency is above ${budgetMs / 1000}s: CodeDeploy rolls back to blue.`);
    const alarms = [errorRate, relative, throttles, latency];
    const detectionS = Math.min(detection({ periodS: 60, evaluate: 4, datapoints: 1 }),
      detection({ periodS: 60, evaluate: 5, datapoints: 2 }));

    // The stack's shared CodeDeploy application, and the deployment group.
    const application = (stack.node.tryFindChild('BlueGreenApplication') as codedeploy.ILambdaApplication | undefined)
      ?? new codedeploy.LambdaApplication(stack, 'BlueGreenApplication');
    const group = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
      alias,
      application,
      deploymentConfig: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
      alarms,
      ignoreAlarmConfiguration: false,
      autoRollback: { failedDeployment: true, stoppedDeployment: true },
    });
    (group.node.defaultChild as CfnResource).addPropertyOverride('AlarmConfiguration.Enabled', alarms.length > 0);
    const role = group.role.node.defaultChild as CfnResource;
    const prior = (role.getMetadata('cdk_nag')?.rules_to_suppress ?? []) as unknown[];
    role.addMetadata('cdk_nag', {
      rules_to_suppress: [...prior, {
        applies_to: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited'],
        id: 'AwsSolutions-IAM4',
        reason: 'AWSCodeDeployRoleForLambdaLimited is the policy AWS maintains for CodeDeploy Lambda ' +
          'deployments: it updates aliases, reads alarms and invokes only CodeDeployHook_* functions; ' +
          'other hooks get an explicit invoke grant',
      }],
    });
    alias.node.addDependency(group, group.role, ...alarms);
    for (const a of alarms) {
      if (a !== errorRate && a !== relative) {
        const t = readTiming(a);
        if (t && detection(t) > BAKE_S) {
          Annotations.of(this).addWarningV2('bench:bake', `rollback alarm ${a.node.path} needs up to ${detection(t)}s to stop a deployment`);
        }
      }
    }
    // Canary 10 % for 5 minutes: green holds 10 % until the bake ends.
    if (detectionS > BAKE_S) {
      Annotations.of(this).addWarningV2('bench:detection', `the canary bakes ${BAKE_S}s, not longer than the detection time ${detectionS}s`);
    }
  }
}

const app = new App();
const raw = app.node.tryGetContext('bench:functions') ?? 1;
const n = Number(raw);
const asset = app.node.tryGetContext('bench:asset');
if (!Number.isInteger(n) || n < 0) {
  throw new Error(`-c bench:functions must be a whole number of at least 0, got ${raw}`);
}
if (typeof asset !== 'string' || asset === '') {
  throw new Error("-c bench:asset must name the folder holding the handler's bootstrap, got nothing");
}
const stack = new Stack(app, 'Bench');
const code = lambda.Code.fromAsset(asset); // one asset, shared by every function
for (let j = 0; j < n; j++) {
  new ProtectedFunction(stack, `Fn${j}`, code, j);
}
app.synth();
