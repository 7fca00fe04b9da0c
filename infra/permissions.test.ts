import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UniversalEgressStack } from './stack.ts';
import {
  baseProps,
  placeholderLambdaDir,
  propertiesOf,
  references,
  removeTempDirs,
  synthStack,
} from './test-support.ts';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

let stack: UniversalEgressStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthStack(baseProps(placeholderLambdaDir())));
});
afterAll(removeTempDirs);

const { id, getAtt, ref } = references(() => stack);
const actions = (statement: Statement): string[] =>
  typeof statement.Action === 'string' ? [statement.Action] : statement.Action;

/** Every statement of the policies attached to one role. */
function statementsOf(role: IConstruct): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref(role)] } });
  return Object.values(policies).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

/** Statements of every policy in the stack, with the logical id of the policy. */
function allStatements(): [string, Statement][] {
  return Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([policyId, policy]) =>
    (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement.map(
      (statement): [string, Statement] => [policyId, statement],
    ),
  );
}

const roleOf = (name: 'api' | 'dispatcher' | 'reconciler' | 'notifier'): IConstruct => {
  const role = stack.egress.functions[name].role;
  if (role === undefined) throw new Error(`${name} has no role`);
  return role;
};

describe('IAM, scoped by grant*', () => {
  it('lets only the dispatcher run tasks: the two task definitions, in this cluster', () => {
    const { recorder, forwarder, taskRole, executionRole } = stack.egress.taskDefinitions;
    const runTask = allStatements().filter(([, statement]) => actions(statement).includes('ecs:RunTask'));
    expect(runTask).toHaveLength(1);
    const [policyId, statement] = runTask[0]!;
    expect(policyId).toMatch(/DispatcherFunctionRole/);
    expect(actions(statement)).toEqual(['ecs:RunTask']);
    expect(statement.Resource).toEqual(expect.arrayContaining([ref(recorder), ref(forwarder)]));
    expect(statement.Resource).toHaveLength(2);
    expect(statement.Condition).toEqual({ ArnEquals: { 'ecs:cluster': getAtt(stack.egress.cluster) } });

    const passRole = allStatements().filter(([, s]) => actions(s).includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);
    expect(passRole[0]![0]).toMatch(/DispatcherFunctionRole/);
    expect(passRole[0]![1].Resource).toEqual(expect.arrayContaining([getAtt(taskRole), getAtt(executionRole)]));
    expect(passRole[0]![1].Resource).toHaveLength(2);
  });

  it('lets the API stop and the reconciler describe/stop only tasks of this cluster', () => {
    const clusterTasks = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ecs:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':task/',
          ref(stack.egress.cluster),
          '/*',
        ],
      ],
    };
    expect(statementsOf(roleOf('api'))).toContainEqual({
      Effect: 'Allow',
      Action: 'ecs:StopTask',
      Resource: clusterTasks,
    });
    expect(statementsOf(roleOf('reconciler'))).toContainEqual({
      Effect: 'Allow',
      Action: ['ecs:DescribeTasks', 'ecs:StopTask'],
      Resource: clusterTasks,
    });
    const ecsActions = (name: 'api' | 'notifier'): string[] =>
      statementsOf(roleOf(name))
        .flatMap(actions)
        .filter((action) => action.startsWith('ecs:'));
    expect(ecsActions('api')).toEqual(['ecs:StopTask']);
    expect(ecsActions('notifier')).toEqual([]);
  });

  it('lets the notifier put events on the egress bus only', () => {
    const putEvents = allStatements().filter(([, s]) => actions(s).includes('events:PutEvents'));
    expect(putEvents.map(([policyId]) => policyId)).toEqual([expect.stringMatching(/NotifierFunctionRole/)]);
    expect(putEvents[0]![1].Resource).toEqual(getAtt(stack.egress.eventBus));
  });

  it('lets the task role read/write the table and bucket and read the secret, but not delete recordings', () => {
    const statements = statementsOf(stack.egress.taskDefinitions.taskRole);
    const granted = statements.flatMap(actions);
    expect(granted).toEqual(
      expect.arrayContaining([
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        's3:PutObject',
        's3:GetObject*',
        's3:Abort*',
        'secretsmanager:GetSecretValue',
      ]),
    );
    expect(granted.filter((action) => action.startsWith('s3:Delete'))).toEqual([]);
    const secretStatement = statements.find((s) => actions(s).includes('secretsmanager:GetSecretValue'));
    expect(secretStatement?.Resource).toEqual(ref(stack.egress.livekitSecret));
  });

  it('lets each function write only to its own log group', () => {
    for (const name of ['api', 'dispatcher', 'reconciler', 'notifier'] as const) {
      const logs = statementsOf(roleOf(name)).filter((s) => actions(s).some((a) => a.startsWith('logs:')));
      const logGroup = stack.egress.node.findChild(`${name[0]!.toUpperCase()}${name.slice(1)}FunctionLogs`);
      expect(logs).toEqual([
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt(logGroup) },
      ]);
      const role = propertiesOf(template, id(roleOf(name)));
      expect(role['ManagedPolicyArns'], `${name} role uses a managed policy`).toBeUndefined();
    }
  });

  it('has no Action "*" and a Resource "*" only where the API has no resource scope', () => {
    const allowedOnAnyResource = new Set(['dynamodb:ListStreams']);
    for (const [policyId, statement] of allStatements()) {
      expect(actions(statement), policyId).not.toContain('*');
      if (statement.Resource === '*') {
        for (const action of actions(statement))
          expect(allowedOnAnyResource, `${policyId} ${action}`).toContain(action);
      }
    }
  });
});
