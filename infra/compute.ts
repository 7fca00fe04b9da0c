import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { UniversalEgressProps } from './props.ts';
import type { ResolvedGpuCapacity } from './validate-props.ts';

/** Where tasks run: the network, the cluster and its capacity. */
export interface Compute {
  readonly vpc: ec2.IVpc;
  readonly taskSubnets: ec2.SelectedSubnets;
  readonly assignPublicIp: boolean;
  readonly taskSecurityGroup: ec2.SecurityGroup;
  readonly cluster: ecs.Cluster;
  /** The EC2 GPU capacity, when `gpuCapacity` is set. */
  readonly gpu: GpuCapacity | undefined;
}

/** The GPU capacity provider, its auto-scaling group and the instances' role. */
export interface GpuCapacity {
  readonly capacityProvider: ecs.AsgCapacityProvider;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly instanceRole: iam.Role;
}

/** Settings of {@link createCompute} after validation. */
export interface ComputeSettings {
  readonly taskSubnets: 'public' | 'private';
  readonly natGateways: number;
  readonly gpu: ResolvedGpuCapacity | undefined;
  readonly flowLogBucket: s3.IBucket;
}

/** The VPC (new or imported), the tasks' security group, and the cluster with Fargate, Spot and GPU capacity. */
export function createCompute(scope: Construct, props: UniversalEgressProps, settings: ComputeSettings): Compute {
  const isPublic = settings.taskSubnets === 'public';
  const vpc = props.vpc ?? newVpc(scope, isPublic ? 0 : settings.natGateways, settings.flowLogBucket);
  const taskSubnets = vpc.selectSubnets({
    subnetType: isPublic ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS,
  });
  // Tasks take no inbound connections (control goes through the table), so the group has no ingress rule.
  const taskSecurityGroup = new ec2.SecurityGroup(scope, 'TaskSecurityGroup', {
    vpc,
    description: 'Universal egress tasks: outbound only (LiveKit, S3, RTMP, webhooks)',
    allowAllOutbound: true,
  });
  const cluster = new ecs.Cluster(scope, 'Cluster', {
    vpc,
    enableFargateCapacityProviders: true,
    containerInsightsV2: ecs.ContainerInsights.ENABLED,
  });
  const gpu =
    settings.gpu === undefined
      ? undefined
      : addGpuCapacity(scope, cluster, settings.gpu, taskSubnets.subnets, taskSecurityGroup);
  return { vpc, taskSubnets, assignPublicIp: isPublic, taskSecurityGroup, cluster, gpu };
}

function newVpc(scope: Construct, natGateways: number, flowLogBucket: s3.IBucket): ec2.Vpc {
  const subnetConfiguration: ec2.SubnetConfiguration[] = [
    { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 },
  ];
  if (natGateways > 0) {
    subnetConfiguration.push({ name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 });
  }
  const vpc = new ec2.Vpc(scope, 'Vpc', { maxAzs: 2, natGateways, subnetConfiguration });
  // Free gateway endpoints: uploads to S3 and table writes skip the NAT gateway's per-GB charge.
  vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
  vpc.addFlowLog('FlowLogs', {
    destination: ec2.FlowLogDestination.toS3(flowLogBucket, 'vpc-flow-logs/'),
    trafficType: ec2.FlowLogTrafficType.REJECT,
  });
  return vpc;
}

/**
 * An auto-scaling group of GPU instances (ECS GPU-optimized Amazon Linux 2023) from zero to `maxInstances`,
 * as a capacity provider the dispatcher names in RunTask for GPU encodes.
 */
function addGpuCapacity(
  scope: Construct,
  cluster: ecs.Cluster,
  gpu: ResolvedGpuCapacity,
  subnets: ec2.ISubnet[],
  securityGroup: ec2.ISecurityGroup,
): GpuCapacity {
  // The ECS agent's permissions are added to this role by `addAsgCapacityProvider`.
  const instanceRole = new iam.Role(scope, 'GpuInstanceRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
  });
  const launchTemplate = new ec2.LaunchTemplate(scope, 'GpuLaunchTemplate', {
    instanceType: new ec2.InstanceType(gpu.instanceType),
    machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.GPU),
    securityGroup,
    requireImdsv2: true,
    // User data is filled by the capacity provider (cluster name, IMDS blocked for awsvpc tasks).
    userData: ec2.UserData.forLinux(),
    role: instanceRole,
    blockDevices: [
      {
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(60, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      },
    ],
  });
  const autoScalingGroup = new autoscaling.AutoScalingGroup(scope, 'GpuInstances', {
    vpc: cluster.vpc,
    vpcSubnets: { subnets },
    launchTemplate,
    minCapacity: 0,
    maxCapacity: gpu.maxInstances,
  });
  // Managed termination protection: scale-in never takes an instance that still runs a recording.
  const capacityProvider = new ecs.AsgCapacityProvider(scope, 'GpuCapacity', {
    autoScalingGroup,
    enableManagedTerminationProtection: true,
  });
  cluster.addAsgCapacityProvider(capacityProvider);
  return { capacityProvider, autoScalingGroup, instanceRole };
}
