import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';

// Start-up marks, read by scripts/bench-app through the Performance API: `cs:main` once the UI's
// code has loaded, `cs:home-ready` at the first frame that shows Home with its data (Home.svelte).
performance.mark('cs:main');

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });
