/** Entry point: the client, its commands and the status bar item. */

import * as vscode from 'vscode';

import { LiftCommands } from './commands';
import { KeyStore } from './keyStore';
import { LiftClient, configuredRoute, usesSelectedInterpreter, watchSelectedInterpreter } from './liftClient';
import { RouteStatusBar } from './statusBar';
import { RESTART_SETTINGS, SECTION } from './settings';

let client: LiftClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Lift');
  const keys = new KeyStore(context.secrets);
  client = new LiftClient(output, keys);
  const statusBar = new RouteStatusBar(configuredRoute);
  const liftClient = client;

  context.subscriptions.push(
    output,
    statusBar,
    liftClient.onDidChangeState((state) => {
      statusBar.setState(state);
    }),
    liftClient.onDidChangeRouteStatus((status) => {
      statusBar.setStatus(status);
    }),
    ...new LiftCommands(liftClient, keys, output).register(),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (RESTART_SETTINGS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`))) {
        void liftClient.restart();
      } else if (event.affectsConfiguration(SECTION)) {
        statusBar.refresh(); // the server hears of it through workspace/configuration
      }
    }),
  );
  // Not awaited: finding the server (a --version probe) must not hold up activation.
  void liftClient.start();
  void watchSelectedInterpreter(() => {
    if (usesSelectedInterpreter()) {
      void liftClient.restart();
    }
  }).then((watch) => {
    if (watch !== undefined) {
      context.subscriptions.push(watch);
    }
  });
}

export async function deactivate(): Promise<void> {
  await client?.dispose();
  client = undefined;
}
