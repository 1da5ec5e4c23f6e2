import AccountTree from '@mui/icons-material/AccountTree';
import Apps from '@mui/icons-material/Apps';
import DeviceHub from '@mui/icons-material/DeviceHub';
import Dns from '@mui/icons-material/Dns';
import EventNote from '@mui/icons-material/EventNote';
import Groups from '@mui/icons-material/Groups';
import History from '@mui/icons-material/History';
import Hub from '@mui/icons-material/Hub';
import Badge from '@mui/icons-material/Badge';
import Key from '@mui/icons-material/Key';
import Lock from '@mui/icons-material/Lock';
import RequestQuote from '@mui/icons-material/RequestQuote';
import Schedule from '@mui/icons-material/Schedule';
import Settings from '@mui/icons-material/Settings';
import ViewInAr from '@mui/icons-material/ViewInAr';
import Work from '@mui/icons-material/Work';
import type { ReactNode } from 'react';
import { Route } from 'react-router-dom';
import {
  Admin,
  AppBar,
  CustomRoutes,
  Layout,
  LoadingIndicator,
  Menu,
  Resource,
  TitlePortal,
  ToggleThemeButton,
} from 'react-admin';
import { TenantSwitcher } from './components/TenantSwitcher';
import { authProvider } from './authProvider';
import { dataProvider } from './dataProvider';
import { AccessPage } from './views/access';
import { AuditList } from './views/audit';
import { ConfigMapCreate, ConfigMapEdit, ConfigMapList, ConfigMapShow } from './views/configmaps';
import { SecretCreate, SecretEdit, SecretList, SecretShow } from './views/secrets';
import {
  ServiceAccountCreate,
  ServiceAccountList,
  ServiceAccountShow,
} from './views/serviceaccounts';
import { CronJobList, CronJobShow } from './views/batch/cronjobs';
import { JobList, JobShow } from './views/batch/jobs';
import { DaemonSetList, DaemonSetShow } from './views/daemonsets';
import { DeploymentCreate, DeploymentList, DeploymentShow } from './views/deployments';
import { EventList } from './views/events';
import { NamespaceCreate, NamespaceList, NamespaceShow } from './views/namespaces';
import { NodeList } from './views/nodes';
import { Overview } from './views/Overview';
import { PodList, PodShow } from './views/pods';
import { QuotaRequestCreate, QuotaRequestList } from './views/quotarequests';
import { ReplicationControllerList } from './views/replicationcontrollers';
import { ServiceList, ServiceShow } from './views/services';
import { TenantCreate, TenantList } from './views/tenants';

function BerthMenu() {
  return (
    <Menu>
      <Menu.DashboardItem primaryText="Overview" />
      <Menu.ResourceItem name="namespaces" />
      <Menu.ResourceItem name="deployments" />
      <Menu.ResourceItem name="replicationcontrollers" />
      <Menu.ResourceItem name="daemonsets" />
      <Menu.ResourceItem name="jobs" />
      <Menu.ResourceItem name="cronjobs" />
      <Menu.ResourceItem name="pods" />
      <Menu.ResourceItem name="services" />
      <Menu.ResourceItem name="configmaps" />
      <Menu.ResourceItem name="secrets" />
      <Menu.ResourceItem name="serviceaccounts" />
      <Menu.ResourceItem name="events" />
      <Menu.ResourceItem name="quotarequests" />
      <Menu.Item to="/access" primaryText="Access" leftIcon={<Key />} />
      <Menu.ResourceItem name="audit" />
      <Menu.ResourceItem name="tenants" />
      <Menu.ResourceItem name="nodes" />
    </Menu>
  );
}

function BerthAppBar() {
  return (
    <AppBar
      toolbar={
        <>
          <TenantSwitcher />
          <ToggleThemeButton />
          <LoadingIndicator />
        </>
      }
    >
      <TitlePortal />
    </AppBar>
  );
}

const BerthLayout = ({ children }: { children: ReactNode }) => (
  <Layout
    menu={BerthMenu}
    appBar={BerthAppBar}
    // Small screens: wide tables scroll inside their card, the page keeps the screen's width.
    sx={{ minWidth: 0, '& .RaLayout-content, & .RaList-main': { minWidth: 0 } }}
  >
    {children}
  </Layout>
);

export function App() {
  return (
    <Admin
      title="Berth"
      dataProvider={dataProvider}
      authProvider={authProvider}
      dashboard={Overview}
      layout={BerthLayout}
      requireAuth
      disableTelemetry
    >
      <Resource
        name="namespaces"
        icon={AccountTree}
        list={NamespaceList}
        create={NamespaceCreate}
        show={NamespaceShow}
        recordRepresentation="metadata.name"
      />
      <Resource
        name="deployments"
        icon={Apps}
        list={DeploymentList}
        create={DeploymentCreate}
        show={DeploymentShow}
        recordRepresentation="metadata.name"
      />
      <Resource
        name="replicationcontrollers"
        icon={Apps}
        options={{ label: 'Replication controllers' }}
        list={ReplicationControllerList}
        recordRepresentation="metadata.name"
      />
      <Resource
        name="daemonsets"
        icon={DeviceHub}
        options={{ label: 'Daemon sets' }}
        list={DaemonSetList}
        show={DaemonSetShow}
        recordRepresentation="metadata.name"
      />
      <Resource
        name="jobs"
        icon={Work}
        list={JobList}
        show={JobShow}
        recordRepresentation="metadata.name"
      />
      <Resource
        name="cronjobs"
        icon={Schedule}
        options={{ label: 'Cron jobs' }}
        list={CronJobList}
        show={CronJobShow}
        recordRepresentation="metadata.name"
      />
      <Resource
        name="pods"
        icon={ViewInAr}
        list={PodList}
        show={PodShow}
        recordRepresentation="metadata.name"
      />
      <Resource
        name="services"
        icon={Hub}
        list={ServiceList}
        show={ServiceShow}
        recordRepresentation="metadata.name"
      />
      <Resource
        name="configmaps"
        icon={Settings}
        options={{ label: 'Config maps' }}
        list={ConfigMapList}
        create={ConfigMapCreate}
        edit={ConfigMapEdit}
        show={ConfigMapShow}
        recordRepresentation="metadata.name"
      />
      <Resource
        name="secrets"
        icon={Lock}
        list={SecretList}
        create={SecretCreate}
        edit={SecretEdit}
        show={SecretShow}
        recordRepresentation="metadata.name"
      />
      <Resource
        name="serviceaccounts"
        icon={Badge}
        options={{ label: 'Service accounts' }}
        list={ServiceAccountList}
        create={ServiceAccountCreate}
        show={ServiceAccountShow}
        recordRepresentation="metadata.name"
      />
      <Resource name="events" icon={EventNote} list={EventList} />
      <Resource
        name="quotarequests"
        icon={RequestQuote}
        options={{ label: 'Quota requests' }}
        list={QuotaRequestList}
        create={QuotaRequestCreate}
      />
      <Resource name="audit" icon={History} options={{ label: 'Audit' }} list={AuditList} />
      <Resource
        name="tenants"
        icon={Groups}
        list={TenantList}
        create={TenantCreate}
        recordRepresentation="metadata.name"
      />
      <Resource name="nodes" icon={Dns} list={NodeList} />
      <Resource name="tokens" />
      <Resource name="endpoints" />
      <Resource name="replicasets" />
      <Resource name="resourcequotas" />
      <Resource name="limitranges" />
      <CustomRoutes>
        <Route path="/access" element={<AccessPage />} />
      </CustomRoutes>
    </Admin>
  );
}
