import { serveDepartment } from '@zigong/kit';
import { finance } from './index';

serveDepartment(finance);
