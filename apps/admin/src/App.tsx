import { Admin, ListGuesser, Resource } from 'react-admin';

export function App() {
  return (
    <Admin title="Berth" disableTelemetry>
      <Resource name="namespaces" list={ListGuesser} />
    </Admin>
  );
}
