import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { startApp } from './lib/app.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(App, { target });
void startApp();
